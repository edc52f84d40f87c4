/**
 * The job request of SPEC §8: `aurion.plugin.v1.JobRequest` in the proto3 JSON mapping, and the one JSON
 * object a plugin reads on stdin. Pure: text in, data or AurionError (REQUEST_INVALID) out.
 */
import { AurionError } from '../../errors.js';
import { parseJobTarget } from '../authz/check.js';
import { canonicalJsonNode } from '../canonical-json.js';
import { decodeUtf8, type JsonNode, JsonParseError, parseJsonNode } from '../json.js';
import type { Manifest } from '../types.js';

/** A JobRequest (specs/plugin.proto); every field a string, '' when absent (proto3 default). */
export interface JobRequest {
  readonly jobId: string;
  readonly pluginName: string;
  readonly version: string;
  readonly target: string;
  /** The job configuration: JSON text, kept exactly as written. */
  readonly serializedConfig: string;
  readonly scopeId: string;
  /** The text of an authorization envelope (SPEC §9), or ''. */
  readonly authorizationBundle: string;
}

/**
 * Deepest nesting a config may have: the stdin object adds one level around it, and serde_json refuses the
 * 128th level, so 126 levels of config are the most a plugin can parse (SPEC §8).
 */
export const MAX_CONFIG_DEPTH = 126;

/** proto3 JSON field names: lowerCamelCase, and the original snake_case names that parsers accept too. */
const FIELDS: ReadonlyArray<readonly [keyof JobRequest, string]> = [
  ['jobId', 'job_id'],
  ['pluginName', 'plugin_name'],
  ['version', 'version'],
  ['target', 'target'],
  ['serializedConfig', 'serialized_config'],
  ['scopeId', 'scope_id'],
  ['authorizationBundle', 'authorization_bundle'],
];
const FIELD_OF = new Map<string, keyof JobRequest>(
  FIELDS.flatMap(([camel, snake]) => [
    [camel, camel],
    [snake, camel],
  ]),
);

const LONE_SURROGATE = /\p{Cs}/u;
const HINT = 'write the request as the proto3 JSON of aurion.plugin.v1.JobRequest (docs/run.md)';

function invalid(message: string, hint = HINT): AurionError {
  return new AurionError('REQUEST_INVALID', message, { hint });
}

/**
 * Parses a request file (`--request FILE|-`). Unknown fields, a field given twice (under both names), a
 * non-string value and JSON errors are REQUEST_INVALID. `null` is the field's default, as in proto3 JSON.
 * The config is checked too (validateConfig).
 */
export function parseJobRequest(input: Uint8Array | string, source: string): JobRequest {
  let text: string;
  try {
    text = typeof input === 'string' ? input : decodeUtf8(input);
  } catch {
    throw invalid(`${source} is not valid UTF-8`);
  }
  let node: JsonNode;
  try {
    node = parseJsonNode(text);
  } catch (e) {
    if (e instanceof JsonParseError) {
      throw invalid(`${source} is not valid JSON${e.pointer === '' ? '' : ` at ${e.pointer}`}: ${e.message}`);
    }
    throw e;
  }
  if (node.kind !== 'object') throw invalid(`${source} must hold a JSON object (a JobRequest)`);
  const values = new Map<keyof JobRequest, string>();
  for (const [key, value] of node.entries) {
    const field = FIELD_OF.get(key);
    if (field === undefined) {
      throw invalid(`${source}: unknown field ${JSON.stringify(key)} in the JobRequest`);
    }
    if (values.has(field)) throw invalid(`${source}: field ${field} is given twice`);
    if (value.kind === 'null') {
      values.set(field, '');
      continue;
    }
    if (value.kind !== 'string') {
      throw invalid(
        `${source}: /${key} must be a string, not ${value.kind === 'array' ? 'an' : 'a'} ${value.kind}`,
      );
    }
    values.set(field, value.value);
  }
  const request = Object.fromEntries(FIELDS.map(([f]) => [f, values.get(f) ?? ''])) as unknown as JobRequest;
  return checkJobRequest(request, source);
}

/**
 * The checks every request passes, from a file, the flags or a library caller: the identifying fields are
 * present and well-formed strings, and the config is JSON a plugin can parse. Returns the request unchanged.
 */
export function checkJobRequest(request: JobRequest, source: string): JobRequest {
  for (const [field] of FIELDS) {
    const value: unknown = request[field];
    if (typeof value !== 'string') throw invalid(`${source}: ${field} must be a string`);
    if (LONE_SURROGATE.test(value)) {
      throw invalid(`${source}: ${field} holds a lone surrogate, which has no UTF-8 encoding`);
    }
  }
  for (const field of ['jobId', 'target', 'scopeId'] as const) {
    if (request[field] === '') throw invalid(`${source}: ${field} is missing or empty`);
  }
  // A host name, IP address, CIDR range or http(s) URL, never a wildcard (SPEC §9), for every job: gating
  // matches it against authorizations, and the orchestrator refuses other targets.
  try {
    parseJobTarget(request.target);
  } catch (e) {
    if (e instanceof AurionError) throw invalid(`${source}: ${e.message}`, e.hint);
    throw e;
  }
  validateConfig(request.serializedConfig, `${source}: serializedConfig`);
  return request;
}

/**
 * Checks a config text: one JSON value serde_json accepts (numbers within f64 range, no lone surrogates,
 * duplicate keys allowed as serde_json allows them) nested at most MAX_CONFIG_DEPTH levels. REQUEST_INVALID.
 */
export function validateConfig(text: string, source: string): void {
  let node: JsonNode;
  try {
    node = parseJsonNode(text, { duplicateKeys: 'keep', maxDepth: MAX_CONFIG_DEPTH });
  } catch (e) {
    if (e instanceof JsonParseError) {
      throw invalid(
        `${source} is not JSON${e.pointer === '' ? '' : ` at ${e.pointer}`}: ${e.message}`,
        `pass the config as JSON text nested at most ${MAX_CONFIG_DEPTH} levels`,
      );
    }
    throw e;
  }
  try {
    canonicalJsonNode(node, { source });
  } catch (e) {
    if (e instanceof AurionError) throw invalid(e.message.replace(/^invalid JSON/, 'invalid config'), e.hint);
    throw e;
  }
}

/** REQUEST_INVALID unless the request names this bundle's plugin and version. */
export function checkRequestMatches(request: JobRequest, manifest: Manifest, source: string): void {
  if (request.pluginName !== manifest.name) {
    throw invalid(
      `${source}: pluginName ${JSON.stringify(request.pluginName)} is not this bundle's plugin ${JSON.stringify(manifest.name)}`,
      'run the bundle the request was written for, or fix pluginName',
    );
  }
  if (request.version !== manifest.version) {
    throw invalid(
      `${source}: version ${JSON.stringify(request.version)} is not this bundle's version ${JSON.stringify(manifest.version)}`,
      'run the bundle the request was written for, or fix version',
    );
  }
}

/**
 * The one JSON object the plugin reads on stdin (SPEC §8). `config` is the request's serializedConfig text
 * inserted as it is (checked by checkJobRequest, never re-serialized: every number reaches the plugin as
 * written); the authorization stays with the host.
 */
export function stdinObject(request: JobRequest): string {
  const s = (value: string) => JSON.stringify(value);
  return (
    `{"job_id":${s(request.jobId)},"plugin_name":${s(request.pluginName)},"version":${s(request.version)},` +
    `"target":${s(request.target)},"config":${request.serializedConfig},"scope_id":${s(request.scopeId)}}`
  );
}
