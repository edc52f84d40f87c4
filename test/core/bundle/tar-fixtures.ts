// moved to test/fixtures/; kept for branches in flight (to be deleted once they are merged).
export { wasmBundleTar, writeRawBundle as writeBundleFile } from '../../fixtures/bundles.js';
export { sha256 as sha256Hex } from '../../fixtures/digest.js';
export {
  containerManifestValue as containerManifest,
  jsonBytes,
  wasmManifestValue as wasmManifest,
} from '../../fixtures/manifests.js';
export { OPAQUE_MODULE as MODULE } from '../../fixtures/modules.js';
export * from '../../fixtures/tar.js';
