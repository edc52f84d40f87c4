/**
 * Input files through the real CLI (SPEC §2, issue 11 item 7): every key, keyring, policy, passphrase, config
 * file, bundle and registry index that is a device, a FIFO or a folder — directly or through a link — is
 * IO_ERROR (exit 4) at once: never a hang, never unbounded memory. Each run is killed after 30 s, so a hang
 * fails the test instead of stalling the suite.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { signedWasmBundle } from '../fixtures/bundles.js';
import { ed25519Key, writePem } from '../fixtures/keys.js';
import { assertCliError, type tempDir } from '../helpers.js';
import { specialFiles } from '../io/special-files.js';
import { runBounded } from './bounded-run.js';

const alice = ed25519Key();
const QUICK = { timeout: 120_000 };

async function setup(t: Parameters<typeof tempDir>[0]) {
  const s = await specialFiles(t);
  const { path: bundle } = await signedWasmBundle(s.dir, alice);
  const key = await writePem(s.dir, 'alice.pub', alice.publicPem);
  const privateKey = await writePem(s.dir, 'alice.key', alice.privatePem);
  return { ...s, bundle, key, privateKey };
}

describe('input files that are not regular files (end to end)', () => {
  it(
    '--trusted-key: a device, a link to one, a FIFO or a folder is IO_ERROR (exit 4) at once',
    QUICK,
    async (t) => {
      const s = await setup(t);
      for (const path of [s.zero, s.links.zero, s.nul, s.fifo, s.folder]) {
        const r = await runBounded(['verify', s.bundle, '--trusted-key', path, '--json']);
        assertCliError(r, 4, 'IO_ERROR');
        assert.match(r.json.error.message, /not a regular file/);
        assert.ok(r.json.error.message.includes(path), r.json.error.message);
      }
    },
  );

  it(
    '--trust-policy and --pgp-keyring: a FIFO (or a link to one) is IO_ERROR, never a hang',
    QUICK,
    async (t) => {
      const s = await setup(t);
      for (const flag of ['--trust-policy', '--pgp-keyring']) {
        for (const path of [s.fifo, s.links.fifo, s.zero]) {
          const r = await runBounded(['verify', s.bundle, flag, path, '--json']);
          assertCliError(r, 4, 'IO_ERROR');
          assert.match(r.stderr, /not a regular file/);
        }
      }
    },
  );

  it(
    "a policy's public_key_file that is a FIFO or a device is IO_ERROR naming the policy entry",
    QUICK,
    async (t) => {
      const s = await setup(t);
      for (const keyFile of [s.fifo, s.zero]) {
        const policy = join(s.dir, 'policy.json');
        await writeFile(
          policy,
          JSON.stringify({ schema_version: 1, keys: [{ key_id: alice.keyId, public_key_file: keyFile }] }),
        );
        const r = await runBounded(['verify', s.bundle, '--trust-policy', policy, '--json']);
        assertCliError(r, 4, 'IO_ERROR');
        assert.match(r.json.error.message, /\/keys\/0\/public_key_file/);
      }
    },
  );

  it(
    'sign --key, --passphrase-file; keygen --passphrase-file; cache-key --config-file: IO_ERROR',
    QUICK,
    async (t) => {
      const s = await setup(t);
      const out = join(s.dir, 'signed.aurion');
      for (const path of [s.fifo, s.zero]) {
        assertCliError(
          await runBounded(['sign', s.bundle, '--key', path, '-o', out, '--json']),
          4,
          'IO_ERROR',
        );
        assertCliError(
          await runBounded([
            'sign',
            s.bundle,
            '--key',
            s.privateKey,
            '--passphrase-file',
            path,
            '-o',
            out,
            '--json',
          ]),
          4,
          'IO_ERROR',
        );
        assertCliError(
          await runBounded(['keygen', '--out', join(s.dir, 'new'), '--passphrase-file', path, '--json']),
          4,
          'IO_ERROR',
        );
        assertCliError(
          await runBounded([
            'cache-key',
            '--name',
            'p',
            '--version',
            '1.0.0',
            '--config-file',
            path,
            '--scope',
            's',
            '--json',
          ]),
          4,
          'IO_ERROR',
        );
      }
      const left = await readdir(s.dir);
      assert.ok(!left.includes('signed.aurion') && !left.some((f) => f.startsWith('new.')), left.join(' '));
    },
  );

  it(
    'a bundle that is a FIFO, a device or a folder: IO_ERROR for verify, inspect and publish',
    QUICK,
    async (t) => {
      const s = await setup(t);
      const registry = join(s.dir, 'registry');
      for (const path of [s.fifo, s.links.fifo, s.zero, s.folder]) {
        const v = await runBounded(['verify', path, '--trusted-key', s.key, '--json']);
        assert.equal(v.code, 4, v.stderr);
        assert.deepEqual(
          v.json.results[0].errors.map((e: { code: string }) => e.code),
          ['IO_ERROR'],
        );
        assertCliError(await runBounded(['inspect', path, '--json']), 4, 'IO_ERROR');
        assertCliError(
          await runBounded(['publish', path, '--registry', registry, '--trusted-key', s.key, '--json']),
          4,
          'IO_ERROR',
        );
      }
      assert.ok(!(await readdir(s.dir)).includes('registry'));
    },
  );

  it(
    'a registry index.json linked to a device or a FIFO: pull and publish fail IO_ERROR at once',
    QUICK,
    async (t) => {
      const s = await setup(t);
      for (const target of [s.zero, s.fifo]) {
        const registry = join(s.dir, `registry-${target === s.zero ? 'zero' : 'fifo'}`);
        await mkdir(registry);
        await symlink(target, join(registry, 'index.json'));
        const pull = await runBounded([
          'pull',
          'dns-enum@1.2.0',
          '--registry',
          registry,
          '-o',
          join(s.dir, 'out.aurion'),
          '--json',
        ]);
        assertCliError(pull, 4, 'IO_ERROR');
        assert.match(pull.json.error.message, /registry index .*index\.json: is a (character device|FIFO)/);
        const publish = await runBounded([
          'publish',
          s.bundle,
          '--registry',
          registry,
          '--trusted-key',
          s.key,
          '--json',
        ]);
        assertCliError(publish, 4, 'IO_ERROR');
        assert.deepEqual((await readdir(registry)).sort(), ['index.json']);
      }
      assert.ok(!(await readdir(s.dir)).includes('out.aurion'));
    },
  );
});
