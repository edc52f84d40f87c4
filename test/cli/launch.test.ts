import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BUNDLE, CODE_CACHE, loadCli } from '../../src/cli/launch.js';
import { signedWasmBundle } from '../fixtures/bundles.js';
import { ed25519Key, writePem } from '../fixtures/keys.js';
import { runCli, tempDir } from '../helpers.js';

describe('the bundled CLI and its code cache', () => {
  it('the build ships the bundle and a code cache that this Node.js accepts', () => {
    assert.ok(existsSync(BUNDLE), BUNDLE);
    assert.ok(existsSync(CODE_CACHE), CODE_CACHE);
    const cli = loadCli();
    assert.equal(typeof cli.main, 'function');
    assert.equal(cli.cacheAccepted, true, 'V8 rejected the code cache: was it made by another Node.js?');
  });

  it('the CommonJS launcher the bin uses loads the same bundle and cache', () => {
    const cjs = createRequire(import.meta.url)(join(BUNDLE, '..', 'launch.cjs')) as {
      BUNDLE: string;
      CODE_CACHE: string;
      loadCli: typeof loadCli;
    };
    assert.equal(cjs.BUNDLE, BUNDLE);
    assert.equal(cjs.CODE_CACHE, CODE_CACHE);
    assert.equal(cjs.loadCli().cacheAccepted, true);
  });

  it('verify of an Ed25519 bundle never loads openpgp; keygen --type pgp does', async (t) => {
    const dir = await tempDir(t);
    const alice = ed25519Key();
    const { path } = await signedWasmBundle(dir, alice);
    const key = await writePem(dir, 'alice.pub', alice.publicPem);
    // NODE_DEBUG=module makes Node's CommonJS loader (which loads openpgp for the bundle) log every load.
    const env = { NODE_DEBUG: 'module' };
    const verify = await runCli(['verify', path, '--trusted-key', key, '--json'], { env });
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(verify.json.ok, true);
    assert.doesNotMatch(verify.stderr, /openpgp/);
    const keygen = await runCli(
      [
        'keygen',
        '--type',
        'pgp',
        '--user-id',
        'Test <test@example.invalid>',
        '--out',
        join(dir, 'ops'),
        '--json',
      ],
      { env },
    );
    assert.equal(keygen.code, 0, keygen.stderr);
    assert.match(keygen.stderr, /openpgp/);
  });
});
