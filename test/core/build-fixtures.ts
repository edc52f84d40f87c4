// moved to test/fixtures/; kept for branches in flight (to be deleted once they are merged).
export { containerManifestValue as containerSourceManifest, sourceManifest } from '../fixtures/manifests.js';
export { invalidModules, MODULE_PATH, VALID_WAT, wat, watUnchecked } from '../fixtures/modules.js';
export { writeProject } from '../fixtures/projects.js';
