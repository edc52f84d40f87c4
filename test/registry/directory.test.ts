import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  bundleFileName,
  compareVersions,
  DirectoryRegistry,
  isoSeconds,
  type NewEntry,
} from '../../src/registry/directory.js';
import { hostTag } from '../../src/registry/scratch.js';
import { sha256 } from '../fixtures/digest.js';
import { expectAurionError, ROOT, tempDir } from '../helpers.js';
import { deadPid, lockRecord } from './util.js';

/** A file standing in for a bundle (the storage layer does not look inside) and its index entry. */
async function fakeBundle(dir: string, name: string, version: string, content = `${name}@${version}`) {
  const path = join(dir, `${name}-${version}-${sha256(Buffer.from(content)).slice(0, 8)}.src`);
  const bytes = Buffer.from(content);
  await writeFile(path, bytes);
  const entry: NewEntry = {
    name,
    version,
    sha256: sha256(bytes),
    size: bytes.length,
    risk_class: 'Low',
    capabilities: ['PassiveEnum'],
    runtime: 'wasm',
    key_id: '0123456789abcdef',
  };
  return { path, bytes, entry };
}

const NOW = new Date('2026-11-27T10:00:00.123Z');

describe('directory registry: publish', () => {
  it('creates the registry when absent, stores the bundle and records it in index.json', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'deep', 'registry');
    const b = await fakeBundle(base, 'dns-enum', '1.2.0');
    const reg = new DirectoryRegistry(root);
    const r = await reg.publish(b.path, b.entry, { now: NOW });
    assert.equal(r.changed, true);
    assert.equal(r.path, join(root, 'plugins', 'dns-enum', 'dns-enum-1.2.0.aurion'));
    assert.deepEqual(await readFile(r.path), b.bytes);
    const index = JSON.parse(await readFile(join(root, 'index.json'), 'utf8'));
    assert.deepEqual(index, {
      schema_version: 1,
      plugins: {
        'dns-enum': {
          '1.2.0': {
            sha256: b.entry.sha256,
            size: b.bytes.length,
            risk_class: 'Low',
            capabilities: ['PassiveEnum'],
            runtime: 'wasm',
            key_id: '0123456789abcdef',
            published_at: '2026-11-27T10:00:00Z',
          },
        },
      },
    });
    assert.deepEqual((await readdir(root)).sort(), ['index.json', 'plugins']);
    assert.deepEqual(await readdir(join(root, 'plugins')), ['dns-enum']);
    assert.deepEqual(await readdir(join(root, 'plugins', 'dns-enum')), ['dns-enum-1.2.0.aurion']);
  });

  it('reads index times with lowercase t and z, and with offsets (RFC 3339)', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    const b = await fakeBundle(base, 'dns-enum', '1.2.0');
    const reg = new DirectoryRegistry(root);
    await reg.publish(b.path, b.entry, { now: NOW });
    for (const time of ['2026-11-27t10:00:00z', '2026-11-27T12:00:00.5+02:00']) {
      const index = JSON.parse(await readFile(join(root, 'index.json'), 'utf8'));
      index.plugins['dns-enum']['1.2.0'].published_at = time;
      await writeFile(join(root, 'index.json'), JSON.stringify(index));
      const { entry, stream } = await new DirectoryRegistry(root).openBundle('dns-enum', '1.2.0');
      assert.equal(entry.published_at, time);
      for await (const _ of stream) {
        // drain, so the file is closed
      }
    }
  });

  it('publishing the same bytes again changes nothing', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    const b = await fakeBundle(base, 'dns-enum', '1.2.0');
    const reg = new DirectoryRegistry(root);
    await reg.publish(b.path, b.entry, { now: NOW });
    const before = await readFile(join(root, 'index.json'));
    const again = await reg.publish(b.path, b.entry, { now: new Date('2027-01-01T00:00:00Z') });
    assert.equal(again.changed, false);
    assert.equal(again.entry.published_at, '2026-11-27T10:00:00Z');
    assert.deepEqual(await readFile(join(root, 'index.json')), before);
    assert.deepEqual((await readdir(root)).sort(), ['index.json', 'plugins']);
  });

  it('refuses other bytes under a published name and version (VERSION_EXISTS), changing nothing', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    const reg = new DirectoryRegistry(root);
    const one = await fakeBundle(base, 'dns-enum', '1.2.0', 'first');
    const two = await fakeBundle(base, 'dns-enum', '1.2.0', 'second');
    await reg.publish(one.path, one.entry, { now: NOW });
    const before = await readFile(join(root, 'index.json'));
    const err = await expectAurionError(() => reg.publish(two.path, two.entry), 'VERSION_EXISTS');
    assert.match(err.message, /dns-enum@1\.2\.0 is already published/);
    assert.match(err.hint ?? '', /bump the version/);
    assert.deepEqual(await readFile(join(root, 'index.json')), before);
    assert.deepEqual(await readFile(join(root, 'plugins', 'dns-enum', 'dns-enum-1.2.0.aurion')), one.bytes);
    assert.deepEqual((await readdir(root)).sort(), ['index.json', 'plugins']);
  });

  it('refuses a source that does not match the verified digest (DIGEST_MISMATCH), storing nothing', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    const b = await fakeBundle(base, 'dns-enum', '1.2.0');
    await writeFile(b.path, 'swapped after verification');
    await expectAurionError(() => new DirectoryRegistry(root).publish(b.path, b.entry), 'DIGEST_MISMATCH');
    assert.deepEqual(await readdir(root), ['plugins']);
    assert.deepEqual(await readdir(join(root, 'plugins')), []);
  });

  it('keeps names and versions sorted (SemVer precedence) in index.json', async (t) => {
    const base = await tempDir(t);
    const reg = new DirectoryRegistry(join(base, 'registry'));
    for (const [n, v] of [
      ['zeta', '1.0.0'],
      ['alpha', '1.10.0'],
      ['alpha', '1.2.0'],
      ['alpha', '1.2.0-rc.1'],
    ] as const) {
      const b = await fakeBundle(base, n, v);
      await reg.publish(b.path, b.entry);
    }
    const index = await reg.readIndex();
    assert.deepEqual(Object.keys(index.plugins), ['alpha', 'zeta']);
    assert.deepEqual(Object.keys(index.plugins['alpha']!), ['1.2.0-rc.1', '1.2.0', '1.10.0']);
  });

  it('rewrites an index edited by hand in order: names, versions and entry keys; the rest as it was', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    await mkdir(root);
    const entry = (sha: string, time: string) => ({
      sha256: sha.repeat(64),
      size: 1,
      risk_class: 'Low',
      capabilities: ['PassiveEnum'],
      runtime: 'wasm',
      key_id: '0123456789abcdef',
      published_at: time,
    });
    const reversed = (e: Record<string, unknown>) => Object.fromEntries(Object.entries(e).reverse());
    const inOrder = {
      '1.0.0': entry('a', '2026-01-01T00:00:00Z'),
      '1.10.0': entry('b', '2026-01-02T00:00:00Z'),
    };
    // Versions out of order in one plugin, an entry's keys out of order in another, one plugin as written.
    const edited = {
      schema_version: 1,
      plugins: {
        zeta: { '2.0.0': entry('c', '2026-01-03T00:00:00Z'), '1.0.0': entry('d', '2026-01-04T00:00:00Z') },
        beta: { '1.0.0': reversed(entry('e', '2026-01-05T00:00:00Z')) },
        alpha: inOrder,
      },
    };
    await writeFile(join(root, 'index.json'), JSON.stringify(edited));
    const b = await fakeBundle(base, 'gamma', '1.0.0');
    await new DirectoryRegistry(root).publish(b.path, b.entry, { now: NOW });
    const { name: _, version: __, ...added } = b.entry;
    const expected = {
      schema_version: 1,
      plugins: {
        alpha: inOrder,
        beta: { '1.0.0': entry('e', '2026-01-05T00:00:00Z') },
        gamma: { '1.0.0': { ...added, published_at: '2026-11-27T10:00:00Z' } },
        zeta: { '1.0.0': entry('d', '2026-01-04T00:00:00Z'), '2.0.0': entry('c', '2026-01-03T00:00:00Z') },
      },
    };
    assert.equal(await readFile(join(root, 'index.json'), 'utf8'), `${JSON.stringify(expected, null, 2)}\n`);
  });

  it('records a fingerprint instead of a key id for OpenPGP-signed bundles', async (t) => {
    const base = await tempDir(t);
    const reg = new DirectoryRegistry(join(base, 'registry'));
    const b = await fakeBundle(base, 'scanner', '2.0.0');
    const { key_id: _, ...rest } = b.entry;
    const fingerprint = 'a'.repeat(40);
    await reg.publish(b.path, { ...rest, runtime: 'container', fingerprint });
    const entry = (await reg.find('scanner', '2.0.0')).entry;
    assert.equal(entry.fingerprint, fingerprint);
    assert.equal(entry.key_id, undefined);
  });

  it('removes what crashed publishes left behind, and keeps what live processes and other hosts own', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    const reg = new DirectoryRegistry(root);
    const first = await fakeBundle(base, 'dns-enum', '1.0.0');
    await reg.publish(first.path, first.entry);
    const dead = await deadPid();
    const tag = hostTag();
    const deadTemp = `.aurion-tmp.${dead}.${tag}.0123456789ab`;
    const liveTemp = `.aurion-tmp.${process.ppid}.${tag}.0123456789ab`;
    const foreignTemp = `.aurion-tmp.${dead}.${hostTag(`not-${hostname()}`)}.0123456789ab`;
    for (const name of [deadTemp, liveTemp, foreignTemp]) await writeFile(join(root, name), 'partial');
    // A bundle renamed into place by a publish that died before writing the index, and a lone folder.
    await writeFile(join(root, 'plugins', 'dns-enum', 'dns-enum-9.9.9.aurion'), 'orphan');
    await mkdir(join(root, 'plugins', 'ghost'));
    await writeFile(join(root, 'plugins', 'ghost', 'ghost-1.0.0.aurion'), 'orphan');
    await writeFile(join(root, 'plugins', 'dns-enum', 'README'), 'not a bundle name: kept');
    await writeFile(join(root, '.index.lock'), lockRecord(dead, hostname(), 'ab'.repeat(16)));
    await writeFile(
      join(root, `.index.lock.break-${'ab'.repeat(16)}`),
      lockRecord(dead, hostname(), 'cd'.repeat(16)),
    );

    const second = await fakeBundle(base, 'dns-enum', '1.1.0');
    await reg.publish(second.path, second.entry);
    assert.deepEqual((await readdir(root)).sort(), [foreignTemp, liveTemp, 'index.json', 'plugins'].sort());
    assert.deepEqual(await readdir(join(root, 'plugins')), ['dns-enum']);
    assert.deepEqual((await readdir(join(root, 'plugins', 'dns-enum'))).sort(), [
      'README',
      'dns-enum-1.0.0.aurion',
      'dns-enum-1.1.0.aurion',
    ]);
  });

  it('a publisher that outlives the lock timeout is named: REGISTRY_ERROR, nothing stored', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    await mkdir(root);
    // The parent of this test process is alive for the whole test: its lock is never stale.
    await writeFile(join(root, '.index.lock'), lockRecord(process.ppid));
    const reg = new DirectoryRegistry(root, { lockTimeoutMs: 50 });
    const b = await fakeBundle(base, 'dns-enum', '1.0.0');
    const err = await expectAurionError(() => reg.publish(b.path, b.entry), 'REGISTRY_ERROR');
    assert.match(
      err.message,
      new RegExp(`^registry is locked by pid ${process.ppid} on host .* \\(.*\\.index\\.lock\\)$`),
    );
    assert.match(
      err.hint ?? '',
      /^retry when that publish is done; if no such process is running any more, remove /,
    );
    // The staging folder is left, empty: no index, no bundle.
    assert.deepEqual((await readdir(root)).sort(), ['.index.lock', 'plugins']);
    assert.deepEqual(await readdir(join(root, 'plugins')), []);
  });

  it('a bundle file without an index entry is not published, and publishing that version replaces it', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    const reg = new DirectoryRegistry(root);
    await mkdir(join(root, 'plugins', 'dns-enum'), { recursive: true });
    await writeFile(join(root, 'plugins', 'dns-enum', 'dns-enum-1.0.0.aurion'), 'orphan');
    await expectAurionError(() => reg.find('dns-enum', '1.0.0'), 'NOT_FOUND');
    const b = await fakeBundle(base, 'dns-enum', '1.0.0');
    assert.equal((await reg.publish(b.path, b.entry)).changed, true);
    assert.deepEqual(await readFile(join(root, 'plugins', 'dns-enum', 'dns-enum-1.0.0.aurion')), b.bytes);
  });

  it('a change committed between the look without the lock and the lock is never lost', async (t) => {
    // publish reads the index once before copying the bundle and again under the lock, and reuses the first
    // parse only when index.json still holds the same bytes. Another publisher commits during the copy here
    // (onProgress runs after the first read and before the lock is taken).
    const base = await tempDir(t);
    const root = join(base, 'registry');
    const reg = new DirectoryRegistry(root);
    const first = await fakeBundle(base, 'dns-enum', '1.0.0');
    await reg.publish(first.path, first.entry, { now: NOW });
    const indexPath = join(root, 'index.json');
    const theirs = (await fakeBundle(base, 'port-scan', '2.0.0')).entry;
    type Doc = { plugins: Record<string, Record<string, Record<string, unknown>>> };
    const sizes: Array<[number, number]> = [];
    const concurrently = (change: (index: Doc) => void) => () => {
      const old = readFileSync(indexPath);
      const index = JSON.parse(old.toString()) as Doc;
      change(index);
      const text = `${JSON.stringify(index, null, 2)}\n`;
      writeFileSync(indexPath, text);
      sizes.push([old.length, Buffer.byteLength(text)]);
    };
    const read = async () => JSON.parse(await readFile(indexPath, 'utf8')) as Doc;

    // Another version published meanwhile: kept, next to ours.
    const ours = await fakeBundle(base, 'dns-enum', '1.1.0');
    await reg.publish(ours.path, ours.entry, {
      now: NOW,
      onProgress: concurrently((index) => {
        const { name, version, ...rest } = theirs;
        index.plugins[name] = { [version]: { ...rest, published_at: '2026-11-27T09:00:00Z' } };
      }),
    });
    let index = await read();
    assert.deepEqual(Object.keys(index.plugins), ['dns-enum', 'port-scan']);
    assert.deepEqual(Object.keys(index.plugins['dns-enum']!), ['1.0.0', '1.1.0']);
    assert.equal(index.plugins['port-scan']!['2.0.0']!['sha256'], theirs.sha256);

    // A change that keeps the size of index.json (one digit of a time): still seen, still kept.
    const third = await fakeBundle(base, 'dns-enum', '1.2.0');
    await reg.publish(third.path, third.entry, {
      now: NOW,
      onProgress: concurrently((i) => {
        i.plugins['port-scan']!['2.0.0']!['published_at'] = '2026-11-27T08:00:00Z';
      }),
    });
    const [oldSize, newSize] = sizes.at(-1)!;
    assert.equal(newSize, oldSize);
    index = await read();
    assert.equal(index.plugins['port-scan']!['2.0.0']!['published_at'], '2026-11-27T08:00:00Z');
    assert.deepEqual(Object.keys(index.plugins['dns-enum']!), ['1.0.0', '1.1.0', '1.2.0']);

    // Our very version published meanwhile with other bytes: VERSION_EXISTS under the lock, theirs stays.
    const mine = await fakeBundle(base, 'dns-enum', '1.3.0', 'mine');
    const other = await fakeBundle(base, 'dns-enum', '1.3.0', 'other');
    const err = await expectAurionError(
      () =>
        reg.publish(mine.path, mine.entry, {
          onProgress: concurrently((i) => {
            const { name, version, ...rest } = other.entry;
            i.plugins[name]![version] = { ...rest, published_at: '2026-11-27T09:00:00Z' };
          }),
        }),
      'VERSION_EXISTS',
    );
    assert.match(err.message, /already published .* with other content/);
    index = await read();
    assert.equal(index.plugins['dns-enum']!['1.3.0']!['sha256'], other.entry.sha256);
    assert.equal(sizes.length, 3); // each concurrent change was made, once
  });

  it('refuses to work on a corrupted or invalid index (REGISTRY_ERROR) and leaves it alone', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    await mkdir(root);
    const b = await fakeBundle(base, 'dns-enum', '1.0.0');
    const reg = new DirectoryRegistry(root);
    await writeFile(join(root, 'index.json'), '{"schema_version": 1, "plugins": {}, "plugins": {}}');
    const dup = await expectAurionError(() => reg.publish(b.path, b.entry), 'REGISTRY_ERROR');
    assert.match(dup.message, /index\.json is not valid JSON: duplicate key/);
    const bad = {
      schema_version: 1,
      plugins: { 'dns-enum': { '1.0.0': { sha256: 'xyz', size: 1 } } },
    };
    await writeFile(join(root, 'index.json'), JSON.stringify(bad));
    const invalid = await expectAurionError(() => reg.find('dns-enum', '1.0.0'), 'REGISTRY_ERROR');
    assert.match(invalid.message, /index\.json is invalid/);
    assert.ok(invalid.issues.some((i) => i.at === '/plugins/dns-enum/1.0.0/sha256'));
    assert.equal(await readFile(join(root, 'index.json'), 'utf8'), JSON.stringify(bad));
  });
});

describe('directory registry: find and read', () => {
  it('NOT_FOUND names the versions that exist', async (t) => {
    const base = await tempDir(t);
    const reg = new DirectoryRegistry(join(base, 'registry'));
    const b = await fakeBundle(base, 'dns-enum', '1.0.0');
    await reg.publish(b.path, b.entry);
    const noVersion = await expectAurionError(() => reg.find('dns-enum', '2.0.0'), 'NOT_FOUND');
    assert.match(noVersion.message, /no version 2\.0\.0 of dns-enum/);
    assert.match(noVersion.hint ?? '', /published versions of dns-enum: 1\.0\.0/);
    const noName = await expectAurionError(() => reg.find('port-scan', '1.0.0'), 'NOT_FOUND');
    assert.match(noName.message, /no plugin port-scan/);
    // An existing folder without an index is an empty registry.
    const empty = new DirectoryRegistry(await tempDir(t));
    await expectAurionError(() => empty.find('dns-enum', '1.0.0'), 'NOT_FOUND');
  });

  it('a registry folder that does not exist is REGISTRY_ERROR', async (t) => {
    const reg = new DirectoryRegistry(join(await tempDir(t), 'nowhere'));
    const err = await expectAurionError(() => reg.find('dns-enum', '1.0.0'), 'REGISTRY_ERROR');
    assert.match(err.message, /no directory registry at/);
  });

  it('an indexed bundle whose file is missing is REGISTRY_ERROR', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    const reg = new DirectoryRegistry(root);
    const b = await fakeBundle(base, 'dns-enum', '1.0.0');
    const r = await reg.publish(b.path, b.entry);
    const { rm } = await import('node:fs/promises');
    await rm(r.path);
    const err = await expectAurionError(() => reg.openBundle('dns-enum', '1.0.0'), 'REGISTRY_ERROR');
    assert.match(err.message, /is missing/);
  });
});

describe('directory registry: helpers', () => {
  it('orders versions by SemVer precedence', () => {
    const sorted = [
      '1.0.0',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '2.0.0',
      '10.0.0',
      '1.10.0',
      '1.2.0',
    ];
    assert.deepEqual([...sorted].sort(compareVersions), [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.2.0',
      '1.10.0',
      '2.0.0',
      '10.0.0',
    ]);
  });

  it('formats times as ISO 8601 UTC seconds and names bundle files', () => {
    assert.equal(isoSeconds(new Date('2026-11-27T10:00:00.999Z')), '2026-11-27T10:00:00Z');
    assert.equal(bundleFileName('dns-enum', '1.2.0'), 'dns-enum-1.2.0.aurion');
  });
});

/** Writes a worker script that publishes fake bundles through the library, in its own process. */
async function workerScript(dir: string): Promise<string> {
  const script = join(dir, 'publisher.mjs');
  await writeFile(
    script,
    `import { createHash } from 'node:crypto';
     import { writeFileSync } from 'node:fs';
     import { join } from 'node:path';
     const { DirectoryRegistry } = await import(${JSON.stringify(join(ROOT, 'dist/src/registry/directory.js'))});
     const [root, work, name, first, count, size] = process.argv.slice(2);
     const reg = new DirectoryRegistry(root, { lockTimeoutMs: 60000 });
     for (let i = Number(first); i < Number(first) + Number(count); i++) {
       const version = '1.0.' + i;
       const bytes = Buffer.alloc(Number(size), name + version);
       const path = join(work, name + '-' + version + '.src');
       writeFileSync(path, bytes);
       const sha256 = createHash('sha256').update(bytes).digest('hex');
       await reg.publish(path, { name, version, sha256, size: bytes.length, risk_class: 'Low',
         capabilities: ['PassiveEnum'], runtime: 'wasm', key_id: '0123456789abcdef' });
       process.stdout.write(version + '\\n');
     }`,
  );
  return script;
}

function run(script: string, args: string[]) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((ok) => child.on('exit', (code, signal) => ok({ code, signal, stdout, stderr })));
  return { child, done };
}

/** Every index entry points at a file with exactly the recorded bytes. */
async function assertConsistent(root: string): Promise<Record<string, Record<string, { sha256: string }>>> {
  const reg = new DirectoryRegistry(root);
  const index = await reg.readIndex();
  for (const [name, versions] of Object.entries(index.plugins)) {
    for (const [version, entry] of Object.entries(versions)) {
      const bytes = await readFile(reg.bundlePath(name, version));
      assert.equal(sha256(bytes), entry.sha256, `${name}@${version}`);
      assert.equal(bytes.length, entry.size);
    }
  }
  return index.plugins as Record<string, Record<string, { sha256: string }>>;
}

describe('directory registry: concurrent and interrupted publishers', () => {
  it('8 processes publishing at once lose nothing', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    const script = await workerScript(base);
    const runs = Array.from({ length: 8 }, (_, i) =>
      run(script, [root, base, 'dns-enum', String(i * 3), '3', '4096']),
    );
    for (const r of runs) {
      const result = await r.done;
      assert.equal(result.code, 0, result.stderr);
    }
    const plugins = await assertConsistent(root);
    assert.equal(Object.keys(plugins['dns-enum'] ?? {}).length, 24);
    assert.deepEqual((await readdir(root)).sort(), ['index.json', 'plugins']);
  });

  it('a publisher killed (SIGKILL) at any point leaves the registry consistent, and the next publish cleans up', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    const script = await workerScript(base);
    // Kill a long-running publisher at random moments; publishes take a few milliseconds each, so the kills
    // land in every phase (copy, lock, rename, index write) over the rounds.
    let published = new Map<string, string>();
    for (let round = 0; round < 8; round++) {
      const r = run(script, [root, base, `p${round}`, '0', '1000', String(256 * 1024)]);
      // Wait until this round has published at least once, then kill at a random moment.
      await new Promise<void>((ok) => r.child.stdout.once('data', () => ok()));
      await new Promise((ok) => setTimeout(ok, Math.floor(Math.random() * 40)));
      r.child.kill('SIGKILL');
      const result = await r.done;
      assert.equal(result.signal, 'SIGKILL', result.stderr);
      const plugins = await assertConsistent(root);
      // Nothing published before is lost or changed; everything this round reported is there.
      for (const [key, digest] of published) {
        const [n, v] = key.split('@') as [string, string];
        assert.equal(plugins[n]?.[v]?.sha256, digest, key);
      }
      for (const v of result.stdout.trim().split('\n'))
        assert.ok(plugins[`p${round}`]?.[v], `p${round}@${v}`);
      published = new Map(
        Object.entries(plugins).flatMap(([n, vs]) =>
          Object.entries(vs).map(([v, e]) => [`${n}@${v}`, e.sha256]),
        ),
      );
    }
    // A normal publish afterwards removes every leftover (stale lock, temporary files, orphan bundles).
    const done = run(script, [root, base, 'final', '0', '1', '16']);
    assert.equal((await done.done).code, 0);
    const plugins = await assertConsistent(root);
    assert.deepEqual((await readdir(root)).sort(), ['index.json', 'plugins']);
    for (const name of await readdir(join(root, 'plugins'))) {
      const files = (await readdir(join(root, 'plugins', name))).sort();
      assert.deepEqual(
        files,
        Object.keys(plugins[name] ?? {})
          .map((v) => `${name}-${v}.aurion`)
          .sort(),
      );
    }
    assert.ok((await stat(join(root, 'index.json'))).isFile());
  });
});
