/**
 * `aurion-plugin/json`: the strict JSON reader (duplicate keys refused, number lexemes kept) and the
 * serde_json-compatible canonical JSON behind the cache key (SPEC §7 `cache-key`).
 */
export { type CacheKey, type CacheKeyInput, computeCacheKey } from '../core/cachekey.js';
export {
  type CanonicalJsonOptions,
  canonicalJson,
  canonicalJsonNode,
  canonicalNumber,
  formatF64,
  parseSerdeNumber,
  type SerdeNumber,
} from '../core/canonical-json.js';
export { type JsonNode, JsonParseError, parseJson, parseJsonNode } from '../core/json.js';
