/**
 * DirectoryRegistry against links and special files put in its folder (SPEC §7, issue 11 items 8 and 9):
 * plugins/ and plugins/<name> must be real folders, index.json is read through a link but never written through
 * one, versions differing only in letter case are VERSION_EXISTS.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DirectoryRegistry, type NewEntry } from '../../src/registry/directory.js';
import { expectAurionError, tempDir } from '../helpers.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function fakeBundle(dir: string, name: string, version: string) {
  const bytes = Buffer.from(`${name}@${version}`);
  const path = join(dir, `${name}-${version}.src`);
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
  return { path, entry };
}

describe('directory registry: links and special files', () => {
  it('plugins/<name> that is a link (live or dangling) or a file: REGISTRY_ERROR, nothing left behind', async (t) => {
    const base = await tempDir(t);
    const b = await fakeBundle(base, 'dns-enum', '1.2.0');
    const outside = join(base, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'dns-enum-1.0.0.aurion'), 'precious');
    const makers: Array<[string, (p: string) => Promise<unknown>]> = [
      ['a symbolic link', (p) => symlink(outside, p)],
      ['a symbolic link', (p) => symlink(join(base, 'nowhere'), p)],
      ['not a directory', (p) => writeFile(p, 'x')],
    ];
    for (const [i, [kind, make]] of makers.entries()) {
      const root = join(base, `registry-${i}`);
      await mkdir(join(root, 'plugins'), { recursive: true });
      await make(join(root, 'plugins', 'dns-enum'));
      const e = await expectAurionError(
        () => new DirectoryRegistry(root).publish(b.path, b.entry),
        'REGISTRY_ERROR',
      );
      assert.ok(e.message.includes(`plugins/dns-enum is ${kind}`), e.message);
      assert.deepEqual(await readdir(root), ['plugins']);
      assert.deepEqual(await readdir(outside), ['dns-enum-1.0.0.aurion']);
    }
  });

  it('find/openBundle/openStoredBundle (pull) refuses a linked plugins/ folder', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    const b = await fakeBundle(base, 'dns-enum', '1.2.0');
    await new DirectoryRegistry(root).publish(b.path, b.entry);
    execFileSync('mv', [join(root, 'plugins'), join(base, 'moved')]);
    await symlink(join(base, 'moved'), join(root, 'plugins'));
    await expectAurionError(
      () => new DirectoryRegistry(root).openBundle('dns-enum', '1.2.0'),
      'REGISTRY_ERROR',
    );
    // The same check when the caller already holds the entry (a pull does not read index.json again).
    await expectAurionError(
      () => new DirectoryRegistry(root).openStoredBundle('dns-enum', '1.2.0'),
      'REGISTRY_ERROR',
    );
  });

  it('a stored bundle that is a FIFO: IO_ERROR, never a hang; a FIFO as publish source: IO_ERROR', {
    timeout: 15_000,
  }, async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    const b = await fakeBundle(base, 'dns-enum', '1.2.0');
    const reg = new DirectoryRegistry(root);
    const { path } = await reg.publish(b.path, b.entry);
    execFileSync('rm', [path]);
    execFileSync('mkfifo', [path]);
    await expectAurionError(() => reg.openBundle('dns-enum', '1.2.0'), 'IO_ERROR');
    const fifo = join(base, 'source.fifo');
    execFileSync('mkfifo', [fifo]);
    const other = await fakeBundle(base, 'dns-enum', '1.3.0');
    await expectAurionError(() => reg.publish(fifo, other.entry), 'IO_ERROR');
  });

  it('index.json is read through a link and replaced (not written through) on publish', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    const first = await fakeBundle(base, 'dns-enum', '1.2.0');
    await new DirectoryRegistry(root).publish(first.path, first.entry);
    const kept = join(base, 'index-elsewhere.json');
    execFileSync('mv', [join(root, 'index.json'), kept]);
    await symlink(kept, join(root, 'index.json'));
    const before = await readFile(kept);
    const reg = new DirectoryRegistry(root);
    assert.ok((await reg.find('dns-enum', '1.2.0')).entry.sha256 === first.entry.sha256);
    const second = await fakeBundle(base, 'dns-enum', '1.3.0');
    await reg.publish(second.path, second.entry);
    assert.deepEqual(await readFile(kept), before);
    assert.ok((await lstat(join(root, 'index.json'))).isFile());
    const index = JSON.parse(await readFile(join(root, 'index.json'), 'utf8'));
    assert.deepEqual(Object.keys(index.plugins['dns-enum']), ['1.2.0', '1.3.0']);
  });

  it('versions differing only in letter case: VERSION_EXISTS either way round; same bytes again is a no-op', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'registry');
    const reg = new DirectoryRegistry(root);
    const lower = await fakeBundle(base, 'dns-enum', '2.0.0-rc.1');
    const upper = await fakeBundle(base, 'dns-enum', '2.0.0-RC.1');
    assert.equal((await reg.publish(lower.path, lower.entry)).changed, true);
    const e = await expectAurionError(() => reg.publish(upper.path, upper.entry), 'VERSION_EXISTS');
    assert.match(e.message, /differs from the published dns-enum@2\.0\.0-rc\.1 only in letter case/);
    assert.equal((await reg.publish(lower.path, lower.entry)).changed, false);
    assert.deepEqual(await readdir(join(root, 'plugins', 'dns-enum')), ['dns-enum-2.0.0-rc.1.aurion']);

    const root2 = join(base, 'registry2');
    const reg2 = new DirectoryRegistry(root2);
    await reg2.publish(upper.path, upper.entry);
    await expectAurionError(() => reg2.publish(lower.path, lower.entry), 'VERSION_EXISTS');
  });
});
