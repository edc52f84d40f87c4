/**
 * SPEC §11 through the real CLI: version resolution, list, yank, and signed (TUF) directory registries —
 * writing (init, publish, yank, refresh, rotate-root) and reading, with every attack a client must detect.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { signedWasmBundle } from '../fixtures/bundles.js';
import { ed25519Key, writePem } from '../fixtures/keys.js';
import { progressSizedModule } from '../fixtures/modules.js';
import { alice, setup } from '../fixtures/registry.js';
import { assertCliError, BIN, runCli, runCliOnTty } from '../helpers.js';

type Setup = Awaited<ReturnType<typeof setup>>;

const exists = async (path: string) =>
  readFile(path).then(
    () => true,
    () => false,
  );

async function cacheFiles(folder: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of (await readdir(folder)).sort()) files[name] = await readFile(join(folder, name), 'utf8');
  return files;
}

/** A registry holding dns-enum 1.0.0, 1.2.0 and 2.0.0-rc.1, published with alice's key. */
async function populated(t: Parameters<typeof setup>[0]) {
  const s = await setup(t);
  for (const v of ['1.0.0', '1.2.0', '2.0.0-rc.1']) {
    const r = await runCli([
      'publish',
      await s.bundle(v),
      '--registry',
      s.registry,
      '--trusted-key',
      s.aliceKey,
    ]);
    assert.equal(r.code, 0, r.stderr);
  }
  return s;
}

/** Role keys on disk, and the flags that name them. */
async function roleKeys(dir: string) {
  const files: Record<string, string> = {};
  for (const role of ['root', 'root2', 'targets', 'snapshot', 'timestamp', 'other']) {
    files[role] = await writePem(dir, `${role}.key`, ed25519Key().privatePem);
  }
  const online = [
    '--targets-key',
    files['targets']!,
    '--snapshot-key',
    files['snapshot']!,
    '--timestamp-key',
    files['timestamp']!,
  ];
  return { files, online };
}

/** A signed registry (init after three publishes) and a client cache folder. */
async function signed(t: Parameters<typeof setup>[0], extra: string[] = []) {
  const s = await populated(t);
  const keys = await roleKeys(s.dir);
  const r = await runCli([
    'registry',
    'init',
    s.registry,
    '--root-key',
    keys.files['root']!,
    ...keys.online,
    ...extra,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const rootFile = join(s.dir, 'trusted-root.json');
  await copyFile(join(s.registry, 'metadata', '1.root.json'), rootFile);
  const cache = join(s.dir, 'tuf-cache');
  const client = ['--tuf-root', rootFile, '--tuf-cache', cache];
  return { ...s, keys, rootFile, cache, client };
}

async function pull(s: Setup, spec: string, more: string[] = []) {
  const out = join(s.dir, `out-${Math.random().toString(36).slice(2)}.aurion`);
  const r = await runCli(['pull', spec, '--registry', s.registry, '-o', out, '--json', ...more]);
  return { r, out };
}

/** A pull that must be refused as REGISTRY_UNTRUSTED (1) with nothing written; returns the message. */
async function refused(s: Setup, client: string[], spec = 'dns-enum'): Promise<string> {
  const { r, out } = await pull(s, spec, client);
  assertCliError(r, 1, 'REGISTRY_UNTRUSTED');
  assert.equal(await exists(out), false, 'no output file');
  return r.json.error.message as string;
}

describe('version resolution, list and yank (every directory registry)', () => {
  it('pull NAME takes the highest release; NAME@RANGE the highest match; --json names the version', async (t) => {
    const s = await populated(t);
    const latest = await pull(s, 'dns-enum');
    assert.equal(latest.r.code, 0, latest.r.stderr);
    assert.equal(latest.r.json.name, 'dns-enum');
    assert.equal(latest.r.json.version, '1.2.0');
    assert.equal(latest.r.json.signed, false);
    assert.equal(latest.r.json.registry, s.registry);
    for (const [range, want] of [
      ['^1.0', '1.2.0'],
      ['~1.0.0', '1.0.0'],
      ['>=1 <1.1', '1.0.0'],
      ['1.x', '1.2.0'],
      ['2.0.0-rc.1', '2.0.0-rc.1'],
      ['>=2.0.0-rc.0', '2.0.0-rc.1'],
    ] as const) {
      const p = await pull(s, `dns-enum@${range}`);
      assert.equal(p.r.code, 0, p.r.stderr);
      assert.equal(p.r.json.version, want, range);
    }
    const none = await pull(s, 'dns-enum@^3');
    assertCliError(none.r, 4, 'NOT_FOUND');
    assert.match(none.r.json.error.hint ?? none.r.stderr, /1\.0\.0, 1\.2\.0, 2\.0\.0-rc\.1/);
    const bad = await pull(s, 'dns-enum@not a range!');
    assertCliError(bad.r, 2, 'USAGE');
  });

  it('list --json shows every version, prereleases included, unsigned', async (t) => {
    const s = await populated(t);
    const r = await runCli(['list', '--registry', s.registry, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.signed, false);
    assert.equal(r.json.plugins.length, 1);
    assert.equal(r.json.plugins[0].name, 'dns-enum');
    assert.deepEqual(
      r.json.plugins[0].versions.map((v: { version: string }) => v.version),
      ['1.0.0', '1.2.0', '2.0.0-rc.1'],
    );
    const v = r.json.plugins[0].versions[0];
    assert.deepEqual(Object.keys(v).sort(), [
      'capabilities',
      'risk_class',
      'runtime',
      'sha256',
      'signer',
      'size',
      'version',
    ]);
    assert.equal(v.signer.algorithm, 'ed25519');
    const missing = await runCli(['list', 'nope-nope', '--registry', s.registry, '--json']);
    assertCliError(missing, 4, 'NOT_FOUND');
    const text = await runCli(['list', '--registry', s.registry]);
    assert.match(text.stdout, /unsigned/);
  });

  it('yank keeps the file, marks the index, and hides the version from ranges, list and exact pulls', async (t) => {
    const s = await populated(t);
    const y = await runCli(['yank', 'dns-enum@1.2.0', '--registry', s.registry, '--json']);
    assert.equal(y.code, 0, y.stderr);
    assert.equal(y.json.changed, true);
    const index = JSON.parse(await readFile(join(s.registry, 'index.json'), 'utf8'));
    assert.equal(index.plugins['dns-enum']['1.2.0'].yanked, true);
    assert.ok(await exists(join(s.registry, 'plugins', 'dns-enum', 'dns-enum-1.2.0.aurion')));
    assert.equal((await pull(s, 'dns-enum')).r.json.version, '1.0.0');
    const exact = await pull(s, 'dns-enum@1.2.0');
    assertCliError(exact.r, 4, 'NOT_FOUND');
    assert.match(exact.r.json.error.message, /yanked/);
    const l = await runCli(['list', '--registry', s.registry, '--json']);
    assert.deepEqual(
      l.json.plugins[0].versions.map((v: { version: string }) => v.version),
      ['1.0.0', '2.0.0-rc.1'],
    );
    const again = await runCli(['yank', 'dns-enum@1.2.0', '--registry', s.registry, '--json']);
    assert.equal(again.json.changed, false);
    const unknown = await runCli(['yank', 'dns-enum@9.9.9', '--registry', s.registry, '--json']);
    assertCliError(unknown, 4, 'NOT_FOUND');
  });

  it('OCI registries take exact versions only: a range is UNSUPPORTED before any connection', async () => {
    const r = await runCli(['pull', 'dns-enum@^1', '--registry', 'oci://127.0.0.1:9/plugins', '--json']);
    assertCliError(r, 4, 'UNSUPPORTED');
  });
});

describe('signed registry (TUF): writing', () => {
  it('init writes version 1 of every role with consistent snapshots; the index versions are targets', async (t) => {
    const s = await signed(t);
    const files = (await readdir(join(s.registry, 'metadata'))).sort();
    assert.deepEqual(files, [
      '1.root.json',
      '1.snapshot.json',
      '1.targets.json',
      'aurion-expiry.json',
      'root.json',
      'timestamp.json',
    ]);
    const targets = JSON.parse(await readFile(join(s.registry, 'metadata', '1.targets.json'), 'utf8'));
    assert.equal(targets.signed._type, 'targets');
    assert.match(targets.signed.spec_version, /^1\.0\.\d+$/);
    const t120 = targets.signed.targets['plugins/dns-enum/dns-enum-1.2.0.aurion'];
    assert.equal(t120.custom.name, 'dns-enum');
    assert.equal(t120.custom.version, '1.2.0');
    assert.equal(t120.custom.signer.algorithm, 'ed25519');
    assert.match(t120.hashes.sha256, /^[0-9a-f]{64}$/);
    const root = JSON.parse(await readFile(join(s.registry, 'metadata', 'root.json'), 'utf8'));
    assert.equal(root.signed.consistent_snapshot, true);
    const key = Object.values(root.signed.keys)[0] as {
      keytype: string;
      scheme: string;
      keyval: { public: string };
    };
    assert.equal(key.keytype, 'ed25519');
    assert.equal(key.scheme, 'ed25519');
    assert.match(key.keyval.public, /^[0-9a-f]{64}$/);
    const again = await runCli([
      'registry',
      'init',
      s.registry,
      '--root-key',
      s.keys.files['root']!,
      ...s.keys.online,
      '--json',
    ]);
    assertCliError(again, 4, 'ALREADY_EXISTS');
  });

  it('publish to a signed registry needs the online keys (USAGE, nothing stored); a wrong key is KEY_INVALID', async (t) => {
    const s = await signed(t);
    const before = await readFile(join(s.registry, 'index.json'));
    const path = await s.bundle('1.3.0');
    const none = await runCli([
      'publish',
      path,
      '--registry',
      s.registry,
      '--trusted-key',
      s.aliceKey,
      '--json',
    ]);
    assertCliError(none, 2, 'USAGE');
    assert.deepEqual(await readFile(join(s.registry, 'index.json')), before);
    const wrong = await runCli([
      'publish',
      path,
      '--registry',
      s.registry,
      '--trusted-key',
      s.aliceKey,
      '--json',
      '--targets-key',
      s.keys.files['other']!,
      '--snapshot-key',
      s.keys.files['snapshot']!,
      '--timestamp-key',
      s.keys.files['timestamp']!,
    ]);
    assertCliError(wrong, 3, 'KEY_INVALID');
    assert.deepEqual(await readFile(join(s.registry, 'index.json')), before);
    assert.equal(await exists(join(s.registry, 'metadata', '2.targets.json')), false);
    const env = {
      AURION_TUF_TARGETS_KEY: await readFile(s.keys.files['targets']!, 'utf8'),
      AURION_TUF_SNAPSHOT_KEY: await readFile(s.keys.files['snapshot']!, 'utf8'),
      AURION_TUF_TIMESTAMP_KEY: await readFile(s.keys.files['timestamp']!, 'utf8'),
    };
    const ok = await runCli(
      ['publish', path, '--registry', s.registry, '--trusted-key', s.aliceKey, '--json'],
      { env },
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(await exists(join(s.registry, 'metadata', '2.targets.json')));
    const p = await pull(s, 'dns-enum', s.client);
    assert.equal(p.r.code, 0, p.r.stderr);
    assert.equal(p.r.json.version, '1.3.0');
    assert.equal(p.r.json.signed, true);
  });

  it('yank on a signed registry drops the target; signed clients no longer see it', async (t) => {
    const s = await signed(t);
    const index = await readFile(join(s.registry, 'index.json'));
    const keyless = await runCli(['yank', 'dns-enum@1.2.0', '--registry', s.registry, '--json']);
    assertCliError(keyless, 2, 'USAGE');
    assert.deepEqual(await readFile(join(s.registry, 'index.json')), index, 'nothing changed');
    const y = await runCli(['yank', 'dns-enum@1.2.0', '--registry', s.registry, ...s.keys.online, '--json']);
    assert.equal(y.code, 0, y.stderr);
    const targets = JSON.parse(await readFile(join(s.registry, 'metadata', '2.targets.json'), 'utf8'));
    assert.equal(targets.signed.targets['plugins/dns-enum/dns-enum-1.2.0.aurion'], undefined);
    const l = await runCli(['list', '--registry', s.registry, '--json', ...s.client]);
    assert.equal(l.code, 0, l.stderr);
    assert.equal(l.json.signed, true);
    assert.deepEqual(
      l.json.plugins[0].versions.map((v: { version: string }) => v.version),
      ['1.0.0', '2.0.0-rc.1'],
    );
    const exact = await pull(s, 'dns-enum@1.2.0', s.client);
    assertCliError(exact.r, 4, 'NOT_FOUND');
    assert.match(exact.r.json.error.message, /yanked/);
  });

  it('rotate-root: too few old keys is USAGE, a foreign old key KEY_INVALID; nothing written', async (t) => {
    const s = await signed(t);
    const few = await runCli([
      'registry',
      'rotate-root',
      s.registry,
      '--root-key',
      s.keys.files['root2']!,
      '--json',
    ]);
    assertCliError(few, 2, 'USAGE');
    const foreign = await runCli([
      'registry',
      'rotate-root',
      s.registry,
      '--root-key',
      s.keys.files['root2']!,
      '--old-root-key',
      s.keys.files['other']!,
      '--json',
    ]);
    assertCliError(foreign, 3, 'KEY_INVALID');
    assert.equal(await exists(join(s.registry, 'metadata', '2.root.json')), false);
  });

  it('missing role keys for init are USAGE and nothing is written', async (t) => {
    const s = await populated(t);
    const keys = await roleKeys(s.dir);
    const r = await runCli(['registry', 'init', s.registry, '--root-key', keys.files['root']!, '--json']);
    assertCliError(r, 2, 'USAGE');
    assert.equal(await exists(join(s.registry, 'metadata', 'root.json')), false);
  });
});

describe('signed registry (TUF): clients detect every attack', () => {
  it('a client with the root verifies, and caches only verified metadata', async (t) => {
    const s = await signed(t);
    const p = await pull(s, 'dns-enum', s.client);
    assert.equal(p.r.code, 0, p.r.stderr);
    assert.equal(p.r.json.signed, true);
    assert.equal(p.r.json.version, '1.2.0');
    const folders = (await readdir(s.cache)).filter((n) => !n.startsWith('.'));
    assert.equal(folders.length, 1);
    assert.deepEqual((await readdir(join(s.cache, folders[0]!))).sort(), [
      'root.json',
      'snapshot.json',
      'targets.json',
      'timestamp.json',
    ]);
    // The cache alone is enough afterwards.
    const cached = await pull(s, 'dns-enum@1.0.0', ['--tuf-cache', s.cache]);
    assert.equal(cached.r.code, 0, cached.r.stderr);
    assert.equal(cached.r.json.signed, true);
    assert.deepEqual(
      (await readdir(s.cache)).filter((n) => n.startsWith('.')),
      [],
      'no scratch copies left',
    );
  });

  it('a signed pull with trust flags verifies the downloaded target; one the flags do not trust is written nowhere', async (t) => {
    const s = await signed(t);
    const ok = await pull(s, 'dns-enum@1.2.0', [...s.client, '--trusted-key', s.aliceKey]);
    assert.equal(ok.r.code, 0, ok.r.stderr);
    assert.equal(ok.r.json.signed, true);
    assert.equal(ok.r.json.verified, true);
    assert.deepEqual(ok.r.json.signer, { algorithm: 'ed25519', key_id: alice.keyId });
    const refusedPull = await pull(s, 'dns-enum@1.2.0', [...s.client, '--trusted-key', s.bobKey]);
    assertCliError(refusedPull.r, 1, 'KEY_UNTRUSTED');
    assert.match(refusedPull.r.json.error.message, /out-[a-z0-9]+\.aurion/);
    assert.equal(await exists(refusedPull.out), false, 'no output file');
  });

  it('a signed pull shows its download progress on a terminal, then its verification; never with --json', async (t) => {
    const s = await signed(t);
    const { path } = await signedWasmBundle(s.dir, alice, {
      name: 'big.aurion',
      fields: { version: '5.0.0' },
      module: progressSizedModule(),
    });
    const trust = ['--trusted-key', s.aliceKey];
    const published = await runCli(['publish', path, '--registry', s.registry, ...trust, ...s.keys.online]);
    assert.equal(published.code, 0, published.stderr);
    const out = join(s.dir, 'p.aurion');
    const shown = await runCliOnTty([
      'pull',
      'dns-enum@5.0.0',
      '--registry',
      s.registry,
      '-o',
      out,
      ...s.client,
    ]);
    assert.match(shown, /\rdownloading +\d+% [\d.]+\/[\d.]+ MiB/);
    assert.doesNotMatch(shown, /verifying/, 'without trust flags nothing is verified');
    assert.match(shown, /registry metadata: signed/);
    assert.deepEqual(await readFile(out), await readFile(path));
    // With trust flags, tuf-js checks the whole download, then the bundle is verified from the file.
    const verified = await runCliOnTty([
      'pull',
      'dns-enum@5.0.0',
      '--registry',
      s.registry,
      '-o',
      join(s.dir, 'v.aurion'),
      ...s.client,
      ...trust,
    ]);
    assert.match(verified, /\rdownloading +\d+%[\s\S]*\rverifying +\d+% [\d.]+\/[\d.]+ MiB/);
    assert.match(verified, /verified: signed by ed25519 key/);
    const json = await runCliOnTty([
      'pull',
      'dns-enum@5.0.0',
      '--registry',
      s.registry,
      '-o',
      join(s.dir, 'q.aurion'),
      ...s.client,
      ...trust,
      '--json',
    ]);
    assert.doesNotMatch(json, /\r[a-z]+ +\d+%/);
    assert.match(json, /"signed": true/);
  });

  it('rollback: older metadata after the client saw newer is REGISTRY_UNTRUSTED', async (t) => {
    const s = await signed(t);
    const oldTimestamp = await readFile(join(s.registry, 'metadata', 'timestamp.json'));
    const y = await runCli(['yank', 'dns-enum@1.0.0', '--registry', s.registry, ...s.keys.online]);
    assert.equal(y.code, 0, y.stderr);
    assert.equal((await pull(s, 'dns-enum', s.client)).r.code, 0);
    // A root rotation arrives in the same refresh: the cache keeps nothing of a refresh that fails.
    const rot = await runCli([
      'registry',
      'rotate-root',
      s.registry,
      '--root-key',
      s.keys.files['root2']!,
      '--old-root-key',
      s.keys.files['root']!,
    ]);
    assert.equal(rot.code, 0, rot.stderr);
    const folder = join(s.cache, (await readdir(s.cache)).find((n) => !n.startsWith('.'))!);
    const before = await cacheFiles(folder);
    await writeFile(join(s.registry, 'metadata', 'timestamp.json'), oldTimestamp);
    assert.match(
      await refused(s, s.client),
      /timestamp role: version older than the trusted one \(rollback\)/,
    );
    assert.deepEqual(await cacheFiles(folder), before, 'the cache is unchanged');
    assert.deepEqual(
      (await readdir(s.cache)).filter((n) => n.startsWith('.')),
      [],
      'no scratch copies left',
    );
  });

  it('freeze: an expired timestamp is REGISTRY_UNTRUSTED; registry refresh heals it', async (t) => {
    const s = await signed(t, ['--timestamp-expires', '1s']);
    const periodsFile = join(s.registry, 'metadata', 'aurion-expiry.json');
    assert.deepEqual(JSON.parse(await readFile(periodsFile, 'utf8')), {
      root: '365d',
      targets: '90d',
      snapshot: '90d',
      timestamp: '1s',
    });
    await new Promise((r) => setTimeout(r, 2100));
    assert.match(await refused(s, s.client), /timestamp role: expired metadata/);
    // Refresh re-signs with the recorded period; the operator lengthened it meanwhile.
    await writeFile(
      periodsFile,
      JSON.stringify({ root: '365d', targets: '90d', snapshot: '90d', timestamp: '2h' }),
    );
    const r = await runCli([
      'registry',
      'refresh',
      s.registry,
      '--timestamp-key',
      s.keys.files['timestamp']!,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.versions.timestamp, 2);
    const ts = JSON.parse(await readFile(join(s.registry, 'metadata', 'timestamp.json'), 'utf8'));
    const left = Date.parse(ts.signed.expires) - Date.now();
    assert.ok(left > 7000_000 && left <= 7200_000, `expires in ${left} ms`);
    const p = await pull(s, 'dns-enum', s.client);
    assert.equal(p.r.code, 0, p.r.stderr);
    assert.equal(p.r.json.signed, true);
  });

  it('mix-and-match: a targets file of another version than the snapshot names is REGISTRY_UNTRUSTED', async (t) => {
    const s = await signed(t);
    const y = await runCli(['yank', 'dns-enum@1.0.0', '--registry', s.registry, ...s.keys.online]);
    assert.equal(y.code, 0, y.stderr);
    await copyFile(
      join(s.registry, 'metadata', '1.targets.json'),
      join(s.registry, 'metadata', '2.targets.json'),
    );
    assert.match(await refused(s, s.client), /targets role: versions of snapshot and targets do not match/);
  });

  it('tampered targets metadata (a changed hash, signature kept) is REGISTRY_UNTRUSTED', async (t) => {
    const s = await signed(t);
    const path = join(s.registry, 'metadata', '1.targets.json');
    const md = JSON.parse(await readFile(path, 'utf8'));
    md.signed.targets['plugins/dns-enum/dns-enum-1.2.0.aurion'].hashes.sha256 = 'ab'.repeat(32);
    await writeFile(path, JSON.stringify(md));
    // The snapshot does not pin the targets file's hash, so only its signature can catch this.
    assert.match(await refused(s, s.client), /targets role: not signed by a threshold of its keys/);
  });

  it('a swapped bundle file (same length, other bytes) is REGISTRY_UNTRUSTED and nothing is written', async (t) => {
    const s = await signed(t);
    const file = join(s.registry, 'plugins', 'dns-enum', 'dns-enum-1.2.0.aurion');
    const bytes = await readFile(file);
    bytes[bytes.length - 1]! ^= 1;
    await writeFile(file, bytes);
    assert.match(await refused(s, s.client), /targets role: length or hash/);
    // Longer than signed: the length rule.
    await writeFile(file, Buffer.concat([bytes, Buffer.from('x')]));
    assert.match(await refused(s, s.client), /targets role/);
  });

  it('lost metadata: a registry without metadata/ while the client holds a root is REGISTRY_UNTRUSTED', async (t) => {
    const s = await signed(t);
    assert.equal((await pull(s, 'dns-enum', s.client)).r.code, 0);
    await rm(join(s.registry, 'metadata'), { recursive: true });
    assert.match(await refused(s, ['--tuf-cache', s.cache]), /metadata missing/);
    // A fresh client given only the root, too.
    assert.match(
      await refused(s, ['--tuf-root', s.rootFile, '--tuf-cache', join(s.dir, 'fresh')]),
      /metadata missing/,
    );
    const l = await runCli(['list', '--registry', s.registry, '--json', '--tuf-cache', s.cache]);
    assertCliError(l, 1, 'REGISTRY_UNTRUSTED');
  });

  it('root rotation: a client holding only version 1 follows it; a new root without the old threshold is refused', async (t) => {
    const s = await signed(t);
    const rot = await runCli([
      'registry',
      'rotate-root',
      s.registry,
      '--root-key',
      s.keys.files['root2']!,
      '--old-root-key',
      s.keys.files['root']!,
      '--json',
    ]);
    assert.equal(rot.code, 0, rot.stderr);
    assert.equal(rot.json.root_version, 2);
    const p = await pull(s, 'dns-enum', s.client);
    assert.equal(p.r.code, 0, p.r.stderr);
    const folder = (await readdir(s.cache)).find((n) => !n.startsWith('.'))!;
    const cachedRoot = JSON.parse(await readFile(join(s.cache, folder, 'root.json'), 'utf8'));
    assert.equal(cachedRoot.signed.version, 2);

    // An attacker's 3.root.json signed only by a key the current root does not hold.
    const evil = await signed(t);
    const attack = join(evil.dir, 'attack');
    await cp(evil.registry, attack, { recursive: true });
    const r = await runCli([
      'registry',
      'rotate-root',
      attack,
      '--root-key',
      evil.keys.files['other']!,
      '--old-root-key',
      evil.keys.files['root']!,
    ]);
    assert.equal(r.code, 0, r.stderr);
    // Its 2.root.json carries the old key's signature; strip it, leaving only the new key's.
    const forged = JSON.parse(await readFile(join(attack, 'metadata', '2.root.json'), 'utf8'));
    const oldRoot = JSON.parse(await readFile(join(evil.registry, 'metadata', '1.root.json'), 'utf8'));
    const oldIds = new Set(oldRoot.signed.roles.root.keyids);
    forged.signatures = forged.signatures.filter((sig: { keyid: string }) => !oldIds.has(sig.keyid));
    await writeFile(join(evil.registry, 'metadata', '2.root.json'), JSON.stringify(forged));
    assert.match(await refused(evil, evil.client), /root role: not signed by a threshold/);
  });

  it('a threshold of 2 root keys: one signature is not enough', async (t) => {
    const s = await populated(t);
    const keys = await roleKeys(s.dir);
    const init = await runCli([
      'registry',
      'init',
      s.registry,
      '--root-key',
      keys.files['root']!,
      '--root-key',
      keys.files['root2']!,
      '--root-threshold',
      '2',
      ...keys.online,
    ]);
    assert.equal(init.code, 0, init.stderr);
    const rootFile = join(s.dir, 'root1.json');
    await copyFile(join(s.registry, 'metadata', '1.root.json'), rootFile);
    const client = ['--tuf-root', rootFile, '--tuf-cache', join(s.dir, 'cache')];
    // rotate-root with one of the two current keys: USAGE, nothing written.
    const one = await runCli([
      'registry',
      'rotate-root',
      s.registry,
      '--root-key',
      keys.files['other']!,
      '--old-root-key',
      keys.files['root']!,
      '--json',
    ]);
    assertCliError(one, 2, 'USAGE');
    const two = await runCli([
      'registry',
      'rotate-root',
      s.registry,
      '--root-key',
      keys.files['other']!,
      '--root-threshold',
      '1',
      '--old-root-key',
      keys.files['root']!,
      '--old-root-key',
      keys.files['root2']!,
    ]);
    assert.equal(two.code, 0, two.stderr);
    // Remove one of the two old signatures: below the old root's threshold.
    const path = join(s.registry, 'metadata', '2.root.json');
    const md = JSON.parse(await readFile(path, 'utf8'));
    const oldIds = JSON.parse(await readFile(rootFile, 'utf8')).signed.roles.root.keyids as string[];
    md.signatures = md.signatures.filter((sig: { keyid: string }) => sig.keyid !== oldIds[0]);
    await writeFile(path, JSON.stringify(md));
    assert.match(await refused(s, client), /root role: not signed by a threshold/);
  });
});

describe('signed registry (TUF): crashes', () => {
  it('SIGKILL at random moments of a signed publish leaves metadata a client accepts', async (t) => {
    const s = await signed(t);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const path = await s.bundle(`3.0.${i}`);
      const child = spawn(
        process.execPath,
        [BIN, 'publish', path, '--registry', s.registry, '--trusted-key', s.aliceKey, ...s.keys.online],
        { stdio: 'ignore' },
      );
      const closed = new Promise((r) => child.once('close', r));
      // From start-up to the end of the publish (about 300-600 ms here).
      await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 450)));
      child.kill('SIGKILL');
      await closed;
      const l = await runCli(['list', '--registry', s.registry, '--json', ...s.client]);
      assert.equal(l.code, 0, `after a kill: ${l.stderr}`);
      assert.equal(l.json.signed, true);
      for (const v of l.json.plugins[0].versions) seen.add(v.version);
      const p = await pull(s, 'dns-enum@>=1', s.client);
      assert.equal(p.r.code, 0, p.r.stderr);
    }
    // And the next publish completes, covering everything the index names.
    const last = await runCli([
      'publish',
      await s.bundle('4.0.0'),
      '--registry',
      s.registry,
      '--trusted-key',
      s.aliceKey,
      ...s.keys.online,
    ]);
    assert.equal(last.code, 0, last.stderr);
    const index = JSON.parse(await readFile(join(s.registry, 'index.json'), 'utf8'));
    const l = await runCli(['list', '--registry', s.registry, '--json', ...s.client]);
    assert.deepEqual(
      l.json.plugins[0].versions.map((v: { version: string }) => v.version).sort(),
      Object.keys(index.plugins['dns-enum']).sort(),
    );
    assert.ok(seen.has('1.2.0'));
  });
});

describe('read-only HTTP directory registry', () => {
  it('pull and list through a static web server, unsigned and through TUF', async (t) => {
    const s = await signed(t);
    const server = await staticServer(s.registry);
    t.after(() => {
      server.child.kill();
    });
    const url = `http://127.0.0.1:${server.port}/`;
    const l = await runCli(['list', '--registry', url, '--json']);
    assert.equal(l.code, 0, l.stderr);
    assert.equal(l.json.signed, false);
    const out = join(s.dir, 'http.aurion');
    const p = await runCli(['pull', 'dns-enum@^1', '--registry', url, '-o', out, '--json', ...s.client]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.json.version, '1.2.0');
    assert.equal(p.json.signed, true);
    assert.deepEqual(
      await readFile(out),
      await readFile(join(s.registry, 'plugins', 'dns-enum', 'dns-enum-1.2.0.aurion')),
    );
    const publish = await runCli([
      'publish',
      await s.bundle('3.0.0'),
      '--registry',
      url,
      '--trusted-key',
      s.aliceKey,
      '--json',
    ]);
    assertCliError(publish, 2, 'USAGE');
    const remote = await runCli(['list', '--registry', 'http://example.invalid/reg/', '--json']);
    assertCliError(remote, 2, 'USAGE');
    // Tampering behind the web server is caught the same way.
    const file = join(s.registry, 'plugins', 'dns-enum', 'dns-enum-1.2.0.aurion');
    const bytes = await readFile(file);
    bytes[0]! ^= 1;
    await writeFile(file, bytes);
    const bad = await runCli([
      'pull',
      'dns-enum',
      '--registry',
      url,
      '-o',
      join(s.dir, 'x.aurion'),
      '--json',
      ...s.client,
    ]);
    assertCliError(bad, 1, 'REGISTRY_UNTRUSTED');
    assert.equal(await exists(join(s.dir, 'x.aurion')), false);
  });
});

/** python3 -m http.server on 127.0.0.1 and a free port, serving `dir`. */
async function staticServer(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    'python3',
    ['-u', '-m', 'http.server', '--bind', '127.0.0.1', '0', '--directory', dir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`http.server did not start: ${text}`)), 10_000);
    child.stdout!.on('data', (c: Buffer) => {
      text += c.toString();
      const m = /port (\d+)/.exec(text);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('error', reject);
  });
  child.stderr!.resume();
  return { child, port };
}
