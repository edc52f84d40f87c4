/**
 * The orchestrator's deterministic cache key (plugin model, "Deterministic cache key"; SPEC §7 `cache-key`):
 * lowercase hex BLAKE3 of the UTF-8 bytes of name ‖ version ‖ canonical JSON of the config ‖ scope id, with
 * nothing between them — the same bytes, fed in the same order, as the Rust reference `compute_cache_key`.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { AurionError } from '../errors.js';
import { canonicalJson, canonicalJsonNode } from './canonical-json.js';
import type { JsonNode } from './json.js';

export interface CacheKeyInput {
  /** Plugin name, as the plugin reports it (not validated: the Rust function takes any string). */
  readonly name: string;
  /** Plugin version string, byte for byte (`1.2.0` and `1.2.0+build` are different keys). */
  readonly version: string;
  /**
   * The job configuration: JSON text (parsed as serde_json would, see canonical-json.ts) or a tree from
   * `parseJsonNode`. Deliberately not a JavaScript value: `JSON.stringify(2.0)` is `2`, and 2.0 and 2 are
   * different keys for the orchestrator.
   */
  readonly config: string | JsonNode;
  /** Scope id the job runs under. */
  readonly scope: string;
  /** Names the config in error messages (e.g. `config file job.json`). */
  readonly source?: string;
}

export interface CacheKey {
  /** 64 lowercase hex characters. */
  readonly cacheKey: string;
  /** The canonical config text that was hashed (serde_json's `to_string` of the config). */
  readonly canonicalConfig: string;
}

const utf8 = new TextEncoder();
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * BLAKE3 over the parts in order, fed one `update` at a time like the Rust hasher. `outputLength` other than
 * 32 uses BLAKE3's extendable output (the first 32 bytes are always the default digest).
 */
export function blake3Digest(parts: readonly Uint8Array[], outputLength = 32): Uint8Array {
  const hasher = blake3.create({ dkLen: outputLength });
  for (const part of parts) hasher.update(part);
  return hasher.digest();
}

/** UTF-8 bytes of a string argument; a lone surrogate has no UTF-8 form (a Rust `&str` cannot hold one). */
function argumentBytes(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string') throw new AurionError('USAGE', `cache key: ${what} must be a string`);
  if (LONE_SURROGATE.test(value)) {
    throw new AurionError('USAGE', `cache key: ${what} holds a lone surrogate, which has no UTF-8 encoding`);
  }
  return utf8.encode(value);
}

/**
 * Computes the cache key the orchestrator computes for these inputs. Throws CONFIG_INVALID when the config is
 * not JSON serde_json would accept, USAGE when name, version or scope is not a well-formed string.
 */
export function computeCacheKey(input: CacheKeyInput): CacheKey {
  const name = argumentBytes(input.name, 'name');
  const version = argumentBytes(input.version, 'version');
  const scope = argumentBytes(input.scope, 'scope');
  const options = input.source === undefined ? {} : { source: input.source };
  const canonicalConfig =
    typeof input.config === 'string'
      ? canonicalJson(input.config, options)
      : canonicalJsonNode(input.config, options);
  const digest = blake3Digest([name, version, utf8.encode(canonicalConfig), scope]);
  return { cacheKey: bytesToHex(digest), canonicalConfig };
}
