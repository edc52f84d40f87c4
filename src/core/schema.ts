/**
 * Turns ajv errors into plain located sentences. Schemas are compiled at build time (scripts/build.mjs) with
 * `allErrors` and `verbose`, so each error carries its schema node; a node's `description` explains the rule.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { AurionError, type Issue } from '../errors.js';
import { decodeUtf8, JsonParseError, parseJson, pointerToken } from './json.js';

function describeError(e: ErrorObject): Issue | undefined {
  const parent = e.parentSchema as { description?: string } | undefined;
  const why = typeof parent?.description === 'string' ? parent.description : undefined;
  const at = e.instancePath;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'if':
      return undefined; // the failing "then" branch reports the real problem
    case 'required':
      return { at: `${at}/${pointerToken(String(p['missingProperty']))}`, message: 'is required' };
    case 'additionalProperties':
      return {
        at: `${at}/${pointerToken(String(p['additionalProperty']))}`,
        message: `is not a known property${at === '' ? ' (extension keys must start with "x-")' : ''}`,
      };
    case 'not':
      return { at, message: why === undefined ? 'is not allowed' : `is not allowed (${why})` };
    case 'enum':
      return {
        at,
        message: `must be one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'const':
      return { at, message: why ?? `must be ${JSON.stringify(p['allowedValue'])}` };
    case 'pattern':
      return { at, message: why === undefined ? `must match ${String(p['pattern'])}` : `must be ${why}` };
    case 'uniqueItems':
      return {
        at,
        message: `must not repeat items (items ${String(p['j'])} and ${String(p['i'])} are equal)`,
      };
    default:
      return { at, message: `${e.message ?? 'is invalid'}${why === undefined ? '' : ` (${why})`}` };
  }
}

/**
 * The two validators build.mjs generates from one schema: `quick` answers valid or not, stopping at the first
 * problem; `full` finds every problem and explains it, and runs only when quick refused.
 */
export interface SchemaValidator {
  readonly quick: (value: unknown) => boolean;
  readonly full: ValidateFunction;
}

/** Runs a generated validator; returns every problem, deduplicated, in document order. */
export function schemaIssues(validator: SchemaValidator, value: unknown): Issue[] {
  if (validator.quick(value)) return [];
  const validate = validator.full;
  if (validate(value)) {
    // Both come from the same schema, so this cannot happen; if it does, nothing passes (fail closed).
    throw new AurionError('INTERNAL', 'the schema validators disagree: quick refused what full accepted');
  }
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const e of validate.errors ?? []) {
    const issue = describeError(e);
    if (issue === undefined) continue;
    const key = `${issue.at}\0${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/**
 * Reads a JSON document that a schema describes: strict UTF-8 without a byte order mark, JSON without
 * repeated keys, then the schema. Returns the value and every problem found, located (none: the value is
 * valid); the caller turns problems into its own error.
 */
export function readDocument(
  bytes: Uint8Array,
  validator: SchemaValidator,
): { readonly value: unknown; readonly issues: Issue[] } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return {
      value: undefined,
      issues: [{ at: '', message: 'starts with a UTF-8 byte order mark; save it without BOM' }],
    };
  }
  let text: string;
  try {
    text = decodeUtf8(bytes);
  } catch {
    return { value: undefined, issues: [{ at: '', message: 'is not valid UTF-8' }] };
  }
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (e) {
    if (e instanceof JsonParseError)
      return { value: undefined, issues: [{ at: e.pointer, message: e.message }] };
    throw e;
  }
  return { value, issues: schemaIssues(validator, value) };
}
