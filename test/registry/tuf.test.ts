/**
 * The signed registry (SPEC §11) through the library, in process: the operations the CLI's end-to-end tests
 * (test/e2e/registry-tuf.test.ts) run as commands, plus the error paths of the writer and the client.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadPrivateKey } from '../../src/core/keys.js';
import { DEFAULT_PERIODS } from '../../src/core/tuf-meta.js';
import { loadTrust } from '../../src/io/trust.js';
import { loadTufKeyFiles, loadTufRoleKey, tufKeyVariable } from '../../src/io/tuf-keys.js';
import { publishBundle, pullBundle } from '../../src/ops/publish.js';
import {
  initSignedRegistry,
  listRegistry,
  refreshSignedRegistry,
  rotateRegistryRoot,
  yankVersion,
} from '../../src/ops/registry-admin.js';
import { hostTag } from '../../src/registry/scratch.js';
import { cacheFolder } from '../../src/registry/tuf-client.js';
import { TufRepository } from '../../src/registry/tuf-repo.js';
import { ed25519Key } from '../fixtures/keys.js';
import { setup } from '../fixtures/registry.js';
import { expectAurionError } from '../helpers.js';
import { deadPid } from './util.js';

const key = () => loadPrivateKey(ed25519Key().privatePem, undefined, 'test key');

async function signedRegistry(t: Parameters<typeof setup>[0]) {
  const s = await setup(t);
  const trust = (await loadTrust({ trustedKeys: [s.aliceKey] }))!;
  for (const v of ['1.0.0', '1.1.0-rc.1']) {
    await publishBundle(await s.bundle(v), { registry: s.registry, trust });
  }
  const keys = { root: key(), root2: key(), targets: key(), snapshot: key(), timestamp: key() };
  await initSignedRegistry(s.registry, {
    rootKeys: [keys.root],
    rootThreshold: 1,
    targets: keys.targets,
    snapshot: keys.snapshot,
    timestamp: keys.timestamp,
  });
  const rootFile = join(s.dir, 'root.json');
  await copyFile(join(s.registry, 'metadata', '1.root.json'), rootFile);
  const tuf = { rootFile, cacheDir: join(s.dir, 'cache') };
  const signer = { keys: { targets: keys.targets, snapshot: keys.snapshot, timestamp: keys.timestamp } };
  return { ...s, trust, keys, tuf, signer, rootFile };
}

describe('signed registry, in process', () => {
  it('publish, list, pull, yank, refresh and rotate-root, verified through TUF', async (t) => {
    const s = await signedRegistry(t);
    const unsigned = await listRegistry(s.registry, undefined);
    assert.equal(unsigned.signed, false);
    const b120 = await s.bundle('1.2.0');
    await expectAurionError(() => publishBundle(b120, { registry: s.registry, trust: s.trust }), 'USAGE');
    await publishBundle(b120, { registry: s.registry, trust: s.trust, signer: s.signer });
    const listing = await listRegistry(s.registry, 'dns-enum', { tuf: s.tuf });
    assert.equal(listing.signed, true);
    assert.deepEqual(
      listing.plugins[0]!.versions.map((v) => v.version),
      ['1.0.0', '1.1.0-rc.1', '1.2.0'],
    );
    const pulled = await pullBundle('dns-enum@~1.0', {
      registry: s.registry,
      tuf: s.tuf,
      output: join(s.dir, 'p.aurion'),
    });
    assert.equal(pulled.version, '1.0.0');
    assert.equal(pulled.signed, true);

    assert.deepEqual(await yankVersion(s.registry, 'dns-enum@1.2.0', { signer: s.signer }), {
      name: 'dns-enum',
      version: '1.2.0',
      changed: true,
    });
    assert.equal(
      (await pullBundle('dns-enum', { registry: s.registry, tuf: s.tuf, output: join(s.dir, 'q.aurion') }))
        .version,
      '1.0.0',
    );
    const yanked = await expectAurionError(
      () =>
        pullBundle('dns-enum@1.2.0', { registry: s.registry, tuf: s.tuf, output: join(s.dir, 'r.aurion') }),
      'NOT_FOUND',
    );
    assert.match(yanked.message, /yanked/);

    await expectAurionError(
      () => refreshSignedRegistry(s.registry, { timestamp: s.keys.timestamp, targets: s.keys.targets }),
      'USAGE',
    );
    await expectAurionError(
      () => refreshSignedRegistry(s.registry, { timestamp: s.keys.snapshot }),
      'KEY_INVALID',
    );
    const refreshed = await refreshSignedRegistry(s.registry, {
      timestamp: s.keys.timestamp,
      snapshot: s.keys.snapshot,
      targets: s.keys.targets,
    });
    assert.deepEqual(refreshed, { timestamp: 4, snapshot: 4, targets: 4 });
    const only = await refreshSignedRegistry(s.registry, { timestamp: s.keys.timestamp });
    assert.deepEqual(only, { timestamp: 5, snapshot: 4, targets: 4 });

    await expectAurionError(
      () => rotateRegistryRoot(s.registry, { newKeys: [s.keys.root2], oldKeys: [] }),
      'USAGE',
    );
    await expectAurionError(
      () => rotateRegistryRoot(s.registry, { newKeys: [s.keys.root2], oldKeys: [s.keys.root], threshold: 2 }),
      'USAGE',
    );
    assert.deepEqual(
      await rotateRegistryRoot(s.registry, { newKeys: [s.keys.root2], oldKeys: [s.keys.root] }),
      {
        version: 2,
      },
    );
    const again = await listRegistry(s.registry, undefined, { tuf: s.tuf });
    assert.deepEqual(
      again.plugins[0]!.versions.map((v) => v.version),
      ['1.0.0', '1.1.0-rc.1'],
    );
    const cached = JSON.parse(
      await readFile(join(cacheFolder(s.tuf.cacheDir, `file://${s.registry}/`), 'root.json'), 'utf8'),
    );
    assert.equal(cached.signed.version, 2);
  });

  it('init refuses a signed registry, a threshold above the keys, and is atomic', async (t) => {
    const s = await signedRegistry(t);
    const opts = {
      rootKeys: [s.keys.root],
      rootThreshold: 1,
      targets: s.keys.targets,
      snapshot: s.keys.snapshot,
      timestamp: s.keys.timestamp,
    };
    await expectAurionError(() => initSignedRegistry(s.registry, opts), 'ALREADY_EXISTS');
    const fresh = join(s.dir, 'fresh');
    await expectAurionError(() => initSignedRegistry(fresh, { ...opts, rootThreshold: 2 }), 'USAGE');
    assert.deepEqual(
      (await readdir(fresh)).filter((n) => n !== '.index.lock'),
      [],
    );
    await expectAurionError(() => initSignedRegistry('oci://127.0.0.1:9/x', opts), 'USAGE');
    await initSignedRegistry(fresh, { ...opts, periods: { timestamp: 3600 } });
    const periods = JSON.parse(await readFile(join(fresh, 'metadata', 'aurion-expiry.json'), 'utf8'));
    assert.deepEqual(periods, { root: '365d', targets: '90d', snapshot: '90d', timestamp: '1h' });
    assert.equal(DEFAULT_PERIODS.timestamp, 86_400);
    // A damaged periods file stops every later change.
    await writeFile(join(fresh, 'metadata', 'aurion-expiry.json'), '{"root": "1d"}');
    await expectAurionError(
      () => refreshSignedRegistry(fresh, { timestamp: s.keys.timestamp }),
      'REGISTRY_ERROR',
    );
    await expectAurionError(() => refreshSignedRegistry(s.dir, { timestamp: s.keys.timestamp }), 'USAGE');
  });

  it('clients: rollback, lost metadata, tampered bundles and a bad --tuf-root are refused', async (t) => {
    const s = await signedRegistry(t);
    await listRegistry(s.registry, undefined, { tuf: s.tuf });
    // The scratch copy of a killed client is removed by the next one; a live process's is kept.
    const dead = join(s.tuf.cacheDir, `.aurion-tmp.${await deadPid()}.${hostTag()}.${'a1'.repeat(6)}`);
    const live = join(s.tuf.cacheDir, `.aurion-tmp.${process.pid}.${hostTag()}.${'b2'.repeat(6)}`);
    await mkdir(join(dead, 'sub'), { recursive: true });
    await mkdir(live);
    await listRegistry(s.registry, undefined, { tuf: s.tuf });
    assert.deepEqual(
      (await readdir(s.tuf.cacheDir)).filter((n) => n.startsWith('.')),
      [live.slice(s.tuf.cacheDir.length + 1)],
    );
    const old = await readFile(join(s.registry, 'metadata', 'timestamp.json'));
    await refreshSignedRegistry(s.registry, { timestamp: s.keys.timestamp });
    await listRegistry(s.registry, undefined, { tuf: s.tuf });
    await writeFile(join(s.registry, 'metadata', 'timestamp.json'), old);
    const rollback = await expectAurionError(
      () => listRegistry(s.registry, undefined, { tuf: s.tuf }),
      'REGISTRY_UNTRUSTED',
    );
    assert.match(rollback.message, /timestamp role: version older than the trusted one/);
    await refreshSignedRegistry(s.registry, { timestamp: s.keys.timestamp });
    await refreshSignedRegistry(s.registry, { timestamp: s.keys.timestamp });

    const file = join(s.registry, 'plugins', 'dns-enum', 'dns-enum-1.0.0.aurion');
    const bytes = await readFile(file);
    await writeFile(file, Buffer.concat([bytes, Buffer.from('!')]));
    const out = join(s.dir, 'x.aurion');
    await expectAurionError(
      () => pullBundle('dns-enum@1.0.0', { registry: s.registry, tuf: s.tuf, output: out }),
      'REGISTRY_UNTRUSTED',
    );
    await writeFile(file, bytes);

    const badRoot = join(s.dir, 'bad-root.json');
    await writeFile(badRoot, '{"signed": {}}');
    await expectAurionError(
      () => listRegistry(s.registry, undefined, { tuf: { rootFile: badRoot, cacheDir: join(s.dir, 'c2') } }),
      'KEY_INVALID',
    );
    await rm(join(s.registry, 'metadata'), { recursive: true });
    const lost = await expectAurionError(
      () => listRegistry(s.registry, undefined, { tuf: s.tuf }),
      'REGISTRY_UNTRUSTED',
    );
    assert.match(lost.message, /metadata missing/);
    // Without a root nor a cache entry the registry is read unsigned.
    const plain = await listRegistry(s.registry, undefined, { tuf: { cacheDir: join(s.dir, 'c3') } });
    assert.equal(plain.signed, false);
  });

  it('a signed target that does not describe a bundle is REGISTRY_UNTRUSTED', async (t) => {
    const s = await signedRegistry(t);
    const index = JSON.parse(await readFile(join(s.registry, 'index.json'), 'utf8'));
    index.plugins['dns-enum']['1.0.0'].risk_class = 'Bogus';
    await new TufRepository(s.registry).update(index, s.signer.keys, new Date());
    const e = await expectAurionError(
      () => listRegistry(s.registry, undefined, { tuf: s.tuf }),
      'REGISTRY_UNTRUSTED',
    );
    assert.match(
      e.message,
      /targets role: target "plugins\/dns-enum\/dns-enum-1\.0\.0\.aurion" does not describe a bundle/,
    );
  });

  it('role keys come from files or AURION_TUF_<ROLE>_KEY', async (t) => {
    const s = await setup(t);
    const pem = ed25519Key().privatePem;
    const path = join(s.dir, 't.key');
    await writeFile(path, pem);
    assert.equal(tufKeyVariable('timestamp'), 'AURION_TUF_TIMESTAMP_KEY');
    const fromFile = await loadTufRoleKey('targets', path, {}, undefined);
    const fromEnv = await loadTufRoleKey('targets', undefined, { AURION_TUF_TARGETS_KEY: pem }, undefined);
    assert.deepEqual(fromFile?.publicKey.raw, fromEnv?.publicKey.raw);
    assert.equal(
      await loadTufRoleKey('targets', undefined, { AURION_TUF_TARGETS_KEY: '' }, undefined),
      undefined,
    );
    await expectAurionError(() => loadTufKeyFiles([join(s.dir, 'missing.key')], undefined), 'IO_ERROR');
  });
});

describe('read-only HTTP registry, in process', () => {
  it('lists and pulls through a static web server; errors are REGISTRY_ERROR or NOT_FOUND', async (t) => {
    const s = await signedRegistry(t);
    const { child, port } = await staticServer(s.dir);
    t.after(() => {
      child.kill();
    });
    const url = `http://127.0.0.1:${port}/registry`;
    const listing = await listRegistry(url, undefined, {});
    assert.equal(listing.signed, false);
    const signed = await pullBundle('dns-enum', {
      registry: url,
      tuf: s.tuf,
      output: join(s.dir, 'h.aurion'),
    });
    assert.equal(signed.signed, true);
    const plain = await pullBundle('dns-enum@1.0.0', { registry: url, output: join(s.dir, 'i.aurion') });
    assert.equal(plain.signed, false);
    await expectAurionError(() => pullBundle('nope-nope', { registry: url }), 'NOT_FOUND');
    await expectAurionError(() => yankVersion(url, 'dns-enum@1.0.0'), 'USAGE');
    await expectAurionError(
      () => listRegistry(`http://127.0.0.1:${port}/nowhere/`, undefined),
      'REGISTRY_ERROR',
    );
    await rm(join(s.registry, 'plugins', 'dns-enum', 'dns-enum-1.0.0.aurion'));
    await expectAurionError(
      () => pullBundle('dns-enum@1.0.0', { registry: url, output: join(s.dir, 'j.aurion') }),
      'REGISTRY_ERROR',
    );
    await writeFile(join(s.registry, 'index.json'), '{');
    await expectAurionError(() => listRegistry(url, undefined), 'REGISTRY_ERROR');
    await writeFile(join(s.registry, 'index.json'), '{"schema_version": 2, "plugins": {}}');
    await expectAurionError(() => listRegistry(url, undefined), 'REGISTRY_ERROR');
  });
});

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
