/**
 * The plugin's answer (SPEC §8): exactly one JSON object `{"job_id", "success", "output_json", "cache_key"}`
 * on stdout, checked against the job. Pure.
 */
import { AurionError } from '../../errors.js';
import { decodeUtf8, type JsonNode, JsonParseError, parseJsonNode, toPlain } from '../json.js';

/** The most a plugin may write on stdout. */
export const MAX_STDOUT = 16 * 1024 * 1024;

export interface JobResult {
  readonly job_id: string;
  readonly success: boolean;
  /** Any JSON value (numbers as JavaScript numbers; `outputText` keeps them exactly). */
  readonly output_json: unknown;
  readonly cache_key: string;
}

export interface ParsedJobResult {
  readonly result: JobResult;
  /** output_json as parsed, number lexemes kept (for printing it exactly as the plugin wrote it). */
  readonly output: JsonNode;
}

/**
 * A string as JSON text, safe for a terminal: JSON.stringify escapes C0 controls; DEL and C1 controls (which
 * can start terminal sequences too) are escaped the same way (SPEC §2).
 */
export function quote(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function invalid(message: string): AurionError {
  return new AurionError('RESULT_INVALID', message, {
    hint: 'write exactly one JSON object {"job_id", "success", "output_json", "cache_key"} on stdout (docs/run.md)',
  });
}

const TYPES = { job_id: 'string', success: 'boolean', cache_key: 'string' } as const;

/**
 * Parses the plugin's stdout: one JSON object (surrounding whitespace allowed), keys unique, the four fields
 * present with their types; further fields are ignored, as proto3 readers ignore them. RESULT_INVALID.
 */
export function parseJobResult(stdout: Uint8Array): ParsedJobResult {
  if (stdout.length > MAX_STDOUT)
    throw invalid(`the plugin wrote more than ${MAX_STDOUT / 1048576} MiB on stdout`);
  let text: string;
  try {
    text = decodeUtf8(stdout);
  } catch {
    throw invalid("the plugin's stdout is not valid UTF-8");
  }
  if (text.trim() === '') throw invalid('the plugin wrote nothing on stdout');
  let node: JsonNode;
  try {
    node = parseJsonNode(text);
  } catch (e) {
    if (e instanceof JsonParseError) {
      throw invalid(
        `the plugin's stdout is not one JSON object${e.pointer === '' ? '' : ` (at ${e.pointer})`}: ${e.message}`,
      );
    }
    throw e;
  }
  if (node.kind !== 'object') throw invalid(`the plugin's stdout is a JSON ${node.kind}, not an object`);
  const fields = new Map(node.entries);
  for (const [name, type] of Object.entries(TYPES)) {
    const value = fields.get(name);
    if (value === undefined) throw invalid(`the plugin's result has no ${name}`);
    if (value.kind !== type)
      throw invalid(`the plugin's result: ${name} must be a ${type}, not a ${value.kind}`);
  }
  const output = fields.get('output_json');
  if (output === undefined) throw invalid("the plugin's result has no output_json");
  const str = (name: string) => (fields.get(name) as { value: string }).value;
  return {
    result: {
      job_id: str('job_id'),
      success: (fields.get('success') as { value: boolean }).value,
      output_json: toPlain(output),
      cache_key: str('cache_key'),
    },
    output,
  };
}

/**
 * The checks after parsing, in SPEC §8's order: the job id (RESULT_INVALID), the cache key
 * (CACHE_KEY_MISMATCH, both keys named), then success (JOB_FAILED).
 */
export function checkJobResult(result: JobResult, jobId: string, expectedCacheKey: string): void {
  if (result.job_id !== jobId) {
    throw invalid(`the plugin answered for job ${quote(result.job_id)}, not for this job ${quote(jobId)}`);
  }
  if (result.cache_key !== expectedCacheKey) {
    throw new AurionError(
      'CACHE_KEY_MISMATCH',
      `the plugin's cache_key ${quote(result.cache_key)} is not the expected ${expectedCacheKey}`,
      {
        hint: 'compute it as compute_cache_key(name, version, config, scope_id); compare with aurion-plugin cache-key',
      },
    );
  }
  if (!result.success) throw new AurionError('JOB_FAILED', 'the plugin reported success: false for this job');
}

/** output_json pretty-printed (two spaces), every number exactly as the plugin wrote it. */
export function prettyJson(node: JsonNode, indent = ''): string {
  const inner = `${indent}  `;
  switch (node.kind) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(node.value);
    case 'number':
      return node.lexeme;
    case 'string':
      return quote(node.value);
    case 'array':
      return node.items.length === 0
        ? '[]'
        : `[\n${node.items.map((i) => inner + prettyJson(i, inner)).join(',\n')}\n${indent}]`;
    case 'object':
      return node.entries.length === 0
        ? '{}'
        : `{\n${node.entries.map(([k, v]) => `${inner}${quote(k)}: ${prettyJson(v, inner)}`).join(',\n')}\n${indent}}`;
  }
}

/**
 * JSON text of a document in JSON.stringify's two-space layout, except that `exact` may give the parsed tree
 * for the value at a path (the plugin's output_json), which is then written with its numbers as the plugin
 * wrote them: JSON.stringify would round 9007199254740993.
 */
export function documentText(
  value: unknown,
  exact: (path: readonly string[]) => JsonNode | undefined,
  path: readonly string[] = [],
  indent = '',
): string {
  const node = exact(path);
  if (node !== undefined) return prettyJson(node, indent);
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = `${indent}  `;
  const item = (v: unknown, key: string) => documentText(v, exact, [...path, key], inner);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v, i) => inner + item(v, String(i))).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${item(v, k)}`).join(',\n')}\n${indent}}`;
}
