// moved to test/fixtures/; kept for branches in flight (to be deleted once they are merged).
export { manifestFor, type TestBundle, writeTestBundle } from '../fixtures/bundles.js';
export {
  assertEd25519SignedBy,
  extract,
  extraFiles,
  gnupgHome,
  gpg,
  gpgconf,
  opensslVerifies,
} from '../fixtures/checkers.js';
export { sha256 as sha256Hex } from '../fixtures/digest.js';
export { IMAGE_DIGEST } from '../fixtures/manifests.js';
export { seededModule as moduleBytes } from '../fixtures/modules.js';
