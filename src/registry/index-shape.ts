/**
 * A fast "certainly valid" for a registry index (schemas/registry-index.schema.json). The ajv validator built
 * from the schema stays the judge: this check only spares it the common case, a valid index, which it answers
 * in a third of the time of ajv's (no error objects, no instance paths built for each of 10,000 entries; docs/
 * performance.md, P9). It accepts nothing the schema refuses; whatever it does not accept goes to the schema
 * validator, which gives the verdict and the messages. A test checks it against the schema validator on valid
 * and mutated indexes, and that its patterns are the schema's.
 */
import { PLUGIN_NAME, SEMVER } from '../core/versions.js';
import type { RegistryIndex } from './directory.js';

/** The schema's patterns of the entry's strings (the same text as in the schema; a test compares them). */
export const INDEX_PATTERNS = {
  sha256: /^[0-9a-f]{64}$/u,
  key_id: /^[0-9a-f]{16}$/u,
  fingerprint: /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/u,
  published_at:
    /^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$/u,
} as const;

/** true: the schema accepts `value`. false: maybe not; ask the schema validator. */
export function isValidIndexFast(value: unknown): value is RegistryIndex {
  if (!isRecord(value)) return false;
  let keys = 0;
  for (const key in value) {
    if (key !== 'schema_version' && key !== 'plugins') return false;
    keys++;
  }
  if (keys !== 2 || value['schema_version'] !== 1) return false;
  const plugins = value['plugins'];
  if (!isRecord(plugins)) return false;
  for (const name in plugins) {
    // The patterns admit ASCII only, so length counts what the schema's maxLength counts (code points).
    if (name.length > 64 || !PLUGIN_NAME.test(name)) return false;
    const versions = plugins[name];
    if (!isRecord(versions)) return false;
    for (const version in versions) {
      if (version.length > 128 || !SEMVER.test(version) || !isValidEntry(versions[version])) return false;
    }
  }
  return true;
}

function isValidEntry(entry: unknown): boolean {
  if (!isRecord(entry)) return false;
  let signers = 0;
  let required = 0;
  for (const key in entry) {
    const v = entry[key];
    switch (key) {
      case 'sha256':
      case 'published_at':
        if (typeof v !== 'string' || !INDEX_PATTERNS[key].test(v)) return false;
        required++;
        break;
      case 'size':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return false;
        required++;
        break;
      case 'risk_class':
        if (v !== 'Low' && v !== 'Medium' && v !== 'High') return false;
        required++;
        break;
      case 'runtime':
        if (v !== 'wasm' && v !== 'container') return false;
        required++;
        break;
      case 'capabilities':
        if (!isCapabilities(v)) return false;
        required++;
        break;
      case 'key_id':
      case 'fingerprint':
        if (typeof v !== 'string' || !INDEX_PATTERNS[key].test(v)) return false;
        signers++;
        break;
      case 'yanked':
        if (v !== true) return false;
        break;
      default:
        return false;
    }
  }
  return required === 6 && signers === 1;
}

function isCapabilities(value: unknown): boolean {
  if (!Array.isArray(value) || value.length < 1 || value.length > 4) return false;
  for (let i = 0; i < value.length; i++) {
    const c: unknown = value[i];
    if (c !== 'PassiveEnum' && c !== 'PortScan' && c !== 'VulnerabilityScan' && c !== 'Fuzz') return false;
    for (let j = 0; j < i; j++) if (value[j] === c) return false;
  }
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
