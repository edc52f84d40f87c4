// moved to test/fixtures/; kept for branches in flight (to be deleted once they are merged).
export {
  type BundleParts,
  signedWasmBundle,
  writeBundleFile,
} from '../fixtures/bundles.js';
export { listTree } from '../fixtures/checkers.js';
export { sha256 } from '../fixtures/digest.js';
export {
  type EnvelopeParts,
  ed25519Key,
  envelopeBytes,
  envelopeObject,
  spkiPemOfRaw,
  type TestKey,
  writePem,
} from '../fixtures/keys.js';
export {
  containerManifest,
  IMAGE_DIGEST,
  type ManifestFields,
  manifestValue,
  wasmManifest,
} from '../fixtures/manifests.js';
export { TINY_WASM } from '../fixtures/modules.js';
