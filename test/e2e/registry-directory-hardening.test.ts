/**
 * A directory registry attacked by someone with write access to its folder (issue 11 items 2, 8, 9; SPEC §7):
 * a trust-policy.json that cannot be read is never "no policy"; plugins/ and plugins/<name> must be real
 * directories, so nothing is written or deleted outside the registry; versions that differ only in letter case
 * cannot both be published.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { alice, bob, setup } from '../fixtures/registry.js';
import { assertCliError, runCli } from '../helpers.js';
import { runBounded } from './bounded-run.js';

const QUICK = { timeout: 120_000 };

/** Every file under `dir` with its content: to show that nothing there changed. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path] = (await readFile(path)).toString('base64');
  }
  return out;
}

/** A policy that trusts alice, valid in every respect. */
const alicePolicy = () =>
  JSON.stringify({ schema_version: 1, keys: [{ key_id: alice.keyId, public_key: alice.publicPem }] });

describe("a registry's trust-policy.json that cannot be read fails the publish (item 2)", () => {
  it('a dangling link, a folder or a FIFO: IO_ERROR (exit 4), nothing stored', QUICK, async (t) => {
    const { dir, aliceKey, bundle, registry } = await setup(t);
    const path = await bundle();
    const policy = join(registry, 'trust-policy.json');
    const kinds: Array<[string, () => Promise<unknown>]> = [
      ['a dangling link', () => symlink(join(dir, 'moved-away.json'), policy)],
      ['a folder', () => mkdir(policy)],
      ['a FIFO', async () => execFileSync('mkfifo', [policy])],
    ];
    for (const [what, make] of kinds) {
      await mkdir(registry);
      await make();
      const r = await runBounded([
        'publish',
        path,
        '--registry',
        registry,
        '--trusted-key',
        aliceKey,
        '--json',
      ]);
      assertCliError(r, 4, 'IO_ERROR');
      assert.ok(r.json.error.message.includes(policy), `${what}: ${r.json.error.message}`);
      assert.deepEqual(await readdir(registry), ['trust-policy.json'], `${what}: something was stored`);
      execFileSync('rm', ['-rf', registry]);
    }
  });

  it(
    'one that does not parse is POLICY_INVALID (exit 3), also through a link; a link to a good one is enforced',
    QUICK,
    async (t) => {
      const { dir, bobKey, aliceKey, bundle, registry } = await setup(t);
      const path = await bundle();
      await mkdir(registry);
      const elsewhere = join(dir, 'policy-elsewhere.json');
      await writeFile(elsewhere, '{"schema_version": 1, "keys": [');
      await symlink(elsewhere, join(registry, 'trust-policy.json'));
      const bad = await runBounded([
        'publish',
        path,
        '--registry',
        registry,
        '--trusted-key',
        aliceKey,
        '--json',
      ]);
      assertCliError(bad, 3, 'POLICY_INVALID');
      assert.deepEqual(await readdir(registry), ['trust-policy.json']);
      // A link to a readable policy is followed and enforced: bob's signature is not enough.
      await writeFile(elsewhere, alicePolicy());
      const bobs = await bundle('1.3.0', { key: bob });
      const denied = await runBounded([
        'publish',
        bobs,
        '--registry',
        registry,
        '--trusted-key',
        bobKey,
        '--json',
      ]);
      assertCliError(denied, 1, 'KEY_UNTRUSTED');
      assert.deepEqual(await readdir(registry), ['trust-policy.json']);
      const ok = await runBounded(['publish', path, '--registry', registry, '--json']);
      assert.equal(ok.code, 0, ok.stderr);
    },
  );

  it('one the publisher may not read (permissions) is IO_ERROR, never skipped', QUICK, async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root, to run the CLI as another user (uid 65534)');
      return;
    }
    const { dir, aliceKey, bundle, registry } = await setup(t);
    const path = await bundle();
    // The publisher (uid 65534) can read the bundle and key and write the registry, but not the policy: it
    // is a link into a folder only root may enter (stat() fails there, which the old code took as "absent").
    await chmod(dir, 0o755);
    await mkdir(registry);
    await chown(registry, 65534, 65534);
    const secret = join(dir, 'secret');
    await mkdir(secret, { mode: 0o700 });
    await writeFile(join(secret, 'policy.json'), alicePolicy());
    await symlink(join(secret, 'policy.json'), join(registry, 'trust-policy.json'));
    const asNobody = { uid: 65534, gid: 65534, env: { HOME: dir } };
    const r = await runBounded(
      ['publish', path, '--registry', registry, '--trusted-key', aliceKey, '--json'],
      asNobody,
    );
    assertCliError(r, 4, 'IO_ERROR');
    assert.match(r.json.error.message, /permission denied/);
    assert.deepEqual(await readdir(registry), ['trust-policy.json']);

    // The policy file itself without read permission: the same.
    await rename(join(secret, 'policy.json'), join(registry, 'trust-policy.json.new'));
    await rename(join(registry, 'trust-policy.json.new'), join(registry, 'trust-policy.json'));
    await chmod(join(registry, 'trust-policy.json'), 0o000);
    const r2 = await runBounded(
      ['publish', path, '--registry', registry, '--trusted-key', aliceKey, '--json'],
      asNobody,
    );
    assertCliError(r2, 4, 'IO_ERROR');
    assert.deepEqual(await readdir(registry), ['trust-policy.json']);
  });

  it('only nothing at all means "no policy": the trust flags alone then decide', QUICK, async (t) => {
    const { aliceKey, bundle, registry } = await setup(t);
    const r = await runCli([
      'publish',
      await bundle(),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
  });
});

describe('plugins/ and plugins/<name> must be real directories (item 8)', () => {
  it(
    'a plugins/<name> linked outside: REGISTRY_ERROR (exit 4), the outside folder untouched',
    QUICK,
    async (t) => {
      const { dir, aliceKey, bundle, registry } = await setup(t);
      const outside = join(dir, 'outside');
      await mkdir(outside);
      // What the old clean-up step deleted, and where the bundle would have been written.
      await writeFile(join(outside, 'dns-enum-1.0.0.aurion'), 'precious 1.0.0');
      await writeFile(join(outside, 'dns-enum-1.2.0-rc.1.aurion'), 'precious rc');
      await writeFile(join(outside, 'notes.txt'), 'mine');
      await mkdir(join(registry, 'plugins'), { recursive: true });
      await symlink(outside, join(registry, 'plugins', 'dns-enum'));
      const before = await snapshot(outside);

      const r = await runCli([
        'publish',
        await bundle(),
        '--registry',
        registry,
        '--trusted-key',
        aliceKey,
        '--json',
      ]);
      assertCliError(r, 4, 'REGISTRY_ERROR');
      assert.match(r.json.error.message, /plugins\/dns-enum is a symbolic link/);
      assert.deepEqual(await snapshot(outside), before);
      assert.deepEqual((await readdir(registry)).sort(), ['plugins']);
    },
  );

  it('plugins/ itself linked outside: REGISTRY_ERROR, nothing written there', QUICK, async (t) => {
    const { dir, aliceKey, bundle, registry } = await setup(t);
    const outside = join(dir, 'outside');
    await mkdir(join(outside, 'dns-enum'), { recursive: true });
    await writeFile(join(outside, 'dns-enum', 'dns-enum-1.0.0.aurion'), 'precious');
    await mkdir(registry);
    await symlink(outside, join(registry, 'plugins'));
    const before = await snapshot(outside);
    const r = await runCli([
      'publish',
      await bundle(),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assertCliError(r, 4, 'REGISTRY_ERROR');
    assert.match(r.json.error.message, /plugins is a symbolic link/);
    assert.deepEqual(await snapshot(outside), before);
    assert.deepEqual(await readdir(outside), ['dns-enum']);
  });

  it("clean-up never deletes through another plugin's link", QUICK, async (t) => {
    const { dir, aliceKey, bundle, registry } = await setup(t);
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'port-scan-1.0.0.aurion'), 'precious');
    await mkdir(join(registry, 'plugins'), { recursive: true });
    await symlink(outside, join(registry, 'plugins', 'port-scan'));
    const r = await runCli([
      'publish',
      await bundle(),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await readdir(outside), ['port-scan-1.0.0.aurion']);
  });

  it('pull through a linked plugins/<name>: REGISTRY_ERROR (exit 4), nothing written', QUICK, async (t) => {
    const { dir, aliceKey, bundle, registry } = await setup(t);
    const r = await runCli(['publish', await bundle(), '--registry', registry, '--trusted-key', aliceKey]);
    assert.equal(r.code, 0, r.stderr);
    await rename(join(registry, 'plugins', 'dns-enum'), join(dir, 'moved'));
    await symlink(join(dir, 'moved'), join(registry, 'plugins', 'dns-enum'));
    const out = join(dir, 'pulled.aurion');
    const pull = await runCli(['pull', 'dns-enum@1.2.0', '--registry', registry, '-o', out, '--json']);
    assertCliError(pull, 4, 'REGISTRY_ERROR');
    assert.ok(!(await readdir(dir)).includes('pulled.aurion'));
  });
});

describe('versions that differ only in letter case (item 9)', () => {
  it('1.0.0-rc1 then 1.0.0-RC1: VERSION_EXISTS (exit 4), the first kept', QUICK, async (t) => {
    const { aliceKey, bundle, registry } = await setup(t);
    const first = await runCli([
      'publish',
      await bundle('1.0.0-rc1'),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assert.equal(first.code, 0, first.stderr);
    const index = await readFile(join(registry, 'index.json'));
    const second = await runCli([
      'publish',
      await bundle('1.0.0-RC1'),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assertCliError(second, 4, 'VERSION_EXISTS');
    assert.match(
      second.json.error.message,
      /dns-enum@1\.0\.0-RC1 differs from the published dns-enum@1\.0\.0-rc1 only in letter case/,
    );
    assert.deepEqual(await readFile(join(registry, 'index.json')), index);
    assert.deepEqual(await readdir(join(registry, 'plugins', 'dns-enum')), ['dns-enum-1.0.0-rc1.aurion']);

    // Build metadata counts too; a version that differs in more than case is a new version.
    const meta = await runCli([
      'publish',
      await bundle('1.0.0-RC1+Build.7'),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assert.equal(meta.code, 0, meta.stderr);
    const metaCase = await runCli([
      'publish',
      await bundle('1.0.0-rc1+build.7'),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assertCliError(metaCase, 4, 'VERSION_EXISTS');
  });
});
