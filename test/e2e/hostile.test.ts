/**
 * Every hostile archive of SPEC §4 through `verify` and `inspect`: both go through the one bundle reader, so
 * each is BUNDLE_INVALID (exit 3) — inside the bundle's result for verify, as the error for inspect — and
 * nothing is written to disk, neither next to the bundle nor where a hostile entry name points.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { wasmBundleTar, writeRawBundle } from '../fixtures/bundles.js';
import { listTree } from '../fixtures/checkers.js';
import { ed25519Key, writePem } from '../fixtures/keys.js';
import { containerManifestValue, jsonBytes, wasmManifestValue } from '../fixtures/manifests.js';
import { OPAQUE_MODULE } from '../fixtures/modules.js';
import { entry, gnuLongHeader, gzip, paxHeader, rawHeader, tar } from '../fixtures/tar.js';
import { assertCliError, runCli, tempDir } from '../helpers.js';

const alice = ed25519Key();
const outside = join(tmpdir(), `aurion-hostile-${randomBytes(6).toString('hex')}`);
const manifestEntry = () => entry('manifest.json', jsonBytes(wasmManifestValue(OPAQUE_MODULE)));
const moduleEntry = () => entry('module.wasm', OPAQUE_MODULE);

/** [what, gzip-compressed bundle bytes, a path the hostile entry would write to if extracted] */
const HOSTILE: Array<[string, Buffer, string?]> = [
  ['an unknown entry name', gzip(wasmBundleTar(entry('evil.txt', 'x')))],
  [
    './manifest.json',
    gzip(tar(entry('./manifest.json', jsonBytes(wasmManifestValue(OPAQUE_MODULE))), moduleEntry())),
  ],
  ['a path with a folder', gzip(tar(manifestEntry(), moduleEntry(), entry('sub/evil.txt', 'x')))],
  [
    'a parent-folder path',
    gzip(tar(manifestEntry(), moduleEntry(), entry('../evil.txt', 'x'))),
    '../evil.txt',
  ],
  ['an absolute path', gzip(tar(manifestEntry(), moduleEntry(), entry(outside, 'x'))), outside],
  [
    'a symlink named manifest.json',
    gzip(
      tar(
        Buffer.concat([
          rawHeader({ name: 'manifest.json', typeflag: '2', linkname: '/etc/passwd', size: 0 }),
        ]),
        moduleEntry(),
      ),
    ),
  ],
  [
    'a hard link',
    gzip(
      wasmBundleTar(
        rawHeader({ name: 'signature.ed25519', typeflag: '1', linkname: 'manifest.json', size: 0 }),
      ),
    ),
  ],
  ['a directory', gzip(wasmBundleTar(rawHeader({ name: 'signature.asc', typeflag: '5', size: 0 })))],
  ['a character device', gzip(wasmBundleTar(rawHeader({ name: 'signature.asc', typeflag: '3', size: 0 })))],
  ['a block device', gzip(wasmBundleTar(rawHeader({ name: 'signature.asc', typeflag: '4', size: 0 })))],
  ['a fifo', gzip(wasmBundleTar(rawHeader({ name: 'signature.asc', typeflag: '6', size: 0 })))],
  ['a duplicate manifest.json', gzip(wasmBundleTar(manifestEntry()))],
  ['a duplicate module.wasm', gzip(wasmBundleTar(moduleEntry()))],
  ['no manifest.json', gzip(tar(moduleEntry()))],
  [
    'module.wasm in a container bundle',
    gzip(tar(entry('manifest.json', jsonBytes(containerManifestValue())), moduleEntry())),
  ],
  ['a wasm bundle without module.wasm', gzip(tar(manifestEntry()))],
  [
    'signature.asc in a wasm bundle',
    gzip(wasmBundleTar(entry('signature.asc', '-----BEGIN PGP SIGNATURE-----\n'))),
  ],
  [
    'manifest.json over 64 KiB',
    gzip(tar(entry('manifest.json', Buffer.alloc(64 * 1024 + 1, 0x20)), moduleEntry())),
  ],
  [
    'signature.ed25519 over 16 KiB',
    gzip(wasmBundleTar(entry('signature.ed25519', Buffer.alloc(16 * 1024 + 1, 0x20)))),
  ],
  ['a plain tar (not gzip)', wasmBundleTar()],
  ['random bytes', randomBytes(2048)],
  ['an empty file', Buffer.alloc(0)],
  ['gzip of something that is not a tar', gzip(Buffer.from('hello, world\n'.repeat(100)))],
  [
    'non-zero data after the end of the archive',
    gzip(Buffer.concat([wasmBundleTar(), Buffer.from('trailing')])),
  ],
  [
    'an entry hidden after the end of the archive',
    gzip(Buffer.concat([wasmBundleTar(), entry('evil.txt', 'x')])),
  ],
  ['bytes after the last gzip member', Buffer.concat([gzip(wasmBundleTar()), Buffer.from('junk')])],
  [
    'a PAX path that renames manifest.json to ../evil.txt',
    gzip(tar(paxHeader([['path', '../evil.txt']]), manifestEntry(), moduleEntry())),
    '../evil.txt',
  ],
  ['a global PAX header', gzip(tar(paxHeader([['comment', 'x']], 'g'), manifestEntry(), moduleEntry()))],
  ['a GNU long-name header', gzip(tar(gnuLongHeader('manifest.json'), manifestEntry(), moduleEntry()))],
];

describe('hostile archives through verify and inspect', () => {
  it('verify reports each as BUNDLE_INVALID inside its result, exit 3, nothing written', async (t) => {
    const base = await tempDir(t);
    const dir = join(base, 'bundles');
    await mkdir(dir);
    const key = await writePem(base, 'alice.pub', alice.publicPem);
    const paths = [];
    for (const [i, [, bytes]] of HOSTILE.entries())
      paths.push(await writeRawBundle(dir, bytes, `hostile-${i}.aurion`));
    const before = await listTree(base);
    const r = await runCli(['verify', ...paths, '--trusted-key', key, '--json'], { cwd: dir });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.json.ok, false);
    for (const [i, [what]] of HOSTILE.entries()) {
      const result = r.json.results[i];
      assert.equal(result.bundle, paths[i]);
      assert.equal(result.ok, false, what);
      assert.deepEqual(
        result.errors.map((e: { code: string }) => e.code),
        ['BUNDLE_INVALID'],
        `${what}: ${JSON.stringify(result.errors)}`,
      );
      assert.equal(result.plugin, null, what);
    }
    assert.deepEqual(await listTree(base), before);
    for (const [what, , target] of HOSTILE) {
      if (target !== undefined) assert.ok(!existsSync(join(dir, target)) && !existsSync(target), what);
    }
  });

  for (const [i, [what, bytes, target]] of HOSTILE.entries()) {
    it(`inspect: ${what} is BUNDLE_INVALID (exit 3), nothing written`, async (t) => {
      const base = await tempDir(t);
      const dir = join(base, 'bundles');
      await mkdir(dir);
      const path = await writeRawBundle(dir, bytes, `hostile-${i}.aurion`);
      const before = await listTree(base);
      const r = await runCli(['inspect', path, '--json'], { cwd: dir });
      assertCliError(r, 3, 'BUNDLE_INVALID');
      assert.match(r.json.error.message, new RegExp(path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
      assert.deepEqual(await listTree(base), before);
      if (target !== undefined) assert.ok(!existsSync(join(dir, target)) && !existsSync(target));
    });
  }
});
