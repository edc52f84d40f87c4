// moved to test/fixtures/; kept for branches in flight (to be deleted once they are merged).
export * from '../fixtures/registry.js';
