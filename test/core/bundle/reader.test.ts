import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { checkModuleDigest } from '../../../src/core/bundle/index.js';
import { AurionError } from '../../../src/errors.js';
import { readBundle } from '../../../src/io/bundle-file.js';
import { wasmBundleTar, writeRawBundle } from '../../fixtures/bundles.js';
import { sha256 } from '../../fixtures/digest.js';
import { containerManifestValue, jsonBytes, wasmManifestValue } from '../../fixtures/manifests.js';
import { OPAQUE_MODULE } from '../../fixtures/modules.js';
import {
  endOfArchive,
  entry,
  gnuLongHeader,
  gzip,
  gzipMembers,
  paxHeader,
  rawHeader,
  tar,
} from '../../fixtures/tar.js';
import { expectAurionError, tempDir } from '../../helpers.js';

type T = Parameters<typeof tempDir>[0];

const flip = (bytes: Buffer, at: number, mask: number) => {
  bytes[at] = bytes[at]! ^ mask;
};

const MANIFEST = jsonBytes(wasmManifestValue(OPAQUE_MODULE));
const manifestEntry = (fields = {}) => entry('manifest.json', MANIFEST, fields);
const moduleEntry = (fields = {}) => entry('module.wasm', OPAQUE_MODULE, fields);

/** Writes a gzipped tar and reads it as a bundle. */
async function readTar(t: T, tarBytes: Buffer, options = {}) {
  const path = await writeRawBundle(await tempDir(t), gzip(tarBytes));
  return readBundle(path, options);
}

/** Asserts the archive is rejected with `code` and a message matching `pattern`. */
async function rejects(
  t: T,
  bytes: Buffer,
  pattern: RegExp,
  code: 'BUNDLE_INVALID' | 'MANIFEST_INVALID' = 'BUNDLE_INVALID',
  gzipped = false,
) {
  const path = await writeRawBundle(await tempDir(t), gzipped ? bytes : gzip(bytes));
  const err = await expectAurionError(() => readBundle(path), code);
  assert.match(err.message, pattern);
  assert.equal(err.exitCode, 3);
  return err;
}

describe('readBundle: a valid bundle', () => {
  it('returns the manifest bytes, the parsed manifest and the module digest computed from the data', async (t) => {
    const b = await readTar(t, wasmBundleTar(entry('signature.ed25519', '{"sig":1}')));
    assert.deepEqual(b.manifestBytes, MANIFEST);
    assert.equal(b.manifest.name, 'dns-enum');
    assert.deepEqual(b.module, { sha256: sha256(OPAQUE_MODULE), size: OPAQUE_MODULE.length });
    assert.equal(b.signatureEd25519?.toString(), '{"sig":1}');
    assert.equal(b.signatureAsc, undefined);
    assert.equal(b.sha256, undefined);
    checkModuleDigest(b);
  });

  it('does not check the entry order', async (t) => {
    const b = await readTar(t, tar(entry('signature.ed25519', 'x'), moduleEntry(), manifestEntry()));
    assert.equal(b.module?.size, OPAQUE_MODULE.length);
    assert.equal(b.signatureEd25519?.toString(), 'x');
  });

  it('hashes the bundle file, reports progress and feeds the module to onModuleChunk', async (t) => {
    const bytes = gzip(wasmBundleTar());
    const path = await writeRawBundle(await tempDir(t), bytes);
    const chunks: Buffer[] = [];
    let progress: [number, number] = [0, 0];
    const b = await readBundle(path, {
      hashBundle: true,
      onModuleChunk: (c) => chunks.push(Buffer.from(c)),
      onProgress: (done, total) => {
        progress = [done, total];
      },
    });
    assert.equal(b.sha256, sha256(bytes));
    assert.equal(b.size, bytes.length);
    assert.deepEqual(Buffer.concat(chunks), OPAQUE_MODULE);
    assert.deepEqual(progress, [bytes.length, bytes.length]);
  });

  it('reads the manifest entry mtime', async (t) => {
    const b = await readTar(t, tar(manifestEntry({ mtime: 1767225600 }), moduleEntry({ mtime: 5 })));
    assert.equal(b.mtime, 1767225600);
  });

  it('accepts a container bundle with both signatures', async (t) => {
    const b = await readTar(
      t,
      tar(
        entry('manifest.json', jsonBytes(containerManifestValue())),
        entry('signature.ed25519', 'e'),
        entry('signature.asc', 'a'),
      ),
    );
    assert.equal(b.manifest.runtime, 'container');
    assert.equal(b.module, undefined);
    assert.equal(b.signatureAsc?.toString(), 'a');
  });

  it('accepts several gzip members (BGZF-style), split anywhere', async (t) => {
    const tarBytes = wasmBundleTar();
    for (const cuts of [[1], [511, 512, 513], [100, 1000, 2000, 3000], [tarBytes.length - 1]]) {
      const path = await writeRawBundle(await tempDir(t), gzipMembers(tarBytes, cuts));
      assert.equal((await readBundle(path)).module?.sha256, sha256(OPAQUE_MODULE), `cuts ${cuts}`);
    }
  });

  it('accepts zero padding after the end-of-archive marker (GNU tar pads to 10240 bytes)', async (t) => {
    const tarBytes = wasmBundleTar();
    const padded = Buffer.concat([tarBytes, Buffer.alloc(10240 - (tarBytes.length % 10240))]);
    assert.equal((await readTar(t, padded)).manifest.name, 'dns-enum');
  });

  it('accepts the GNU magic and the old regular-file typeflag NUL', async (t) => {
    const b = await readTar(t, tar(manifestEntry({ magic: 'gnu' }), moduleEntry({ typeflag: '\0' })));
    assert.equal(b.module?.size, OPAQUE_MODULE.length);
  });

  it('accepts GNU base-256 numbers in size and mtime', async (t) => {
    const size = Buffer.alloc(12);
    size[0] = 0x80;
    size.writeUInt32BE(OPAQUE_MODULE.length, 8);
    const mtime = Buffer.alloc(12);
    mtime[0] = 0x80;
    mtime.writeUInt32BE(1767225600, 8);
    const b = await readTar(t, tar(manifestEntry({ mtime }), moduleEntry({ size, magic: 'gnu' })));
    assert.equal(b.module?.size, OPAQUE_MODULE.length);
    assert.equal(b.mtime, 1767225600);
  });

  it('never writes an entry to disk', async (t) => {
    const dir = await tempDir(t);
    const path = await writeRawBundle(dir, gzip(wasmBundleTar()));
    await readBundle(path);
    assert.deepEqual(await readdir(dir), ['test.aurion']);
  });
});

describe('readBundle: entry names', () => {
  for (const name of [
    'Module.wasm',
    'MANIFEST.JSON',
    './manifest.json',
    'a/../manifest.json',
    '/manifest.json',
    '../manifest.json',
    'manifest.json/',
    'dir/module.wasm',
    'manifest.json ',
    'notes.txt',
    '',
  ]) {
    it(`rejects ${JSON.stringify(name)}`, async (t) => {
      const bytes = tar(manifestEntry(), moduleEntry(), entry(name, 'x'));
      await rejects(t, bytes, /unexpected tar entry ".*" \(file\); a bundle holds only manifest\.json/);
    });
  }

  it('rejects a name made of a ustar prefix and name ("dir" + "manifest.json")', async (t) => {
    const err = await rejects(
      t,
      tar(manifestEntry({ prefix: 'dir' }), moduleEntry()),
      /unexpected tar entry/,
    );
    assert.match(err.message, /"dir\/manifest\.json"/);
  });

  it('escapes control characters and non-ASCII bytes of a hostile name in the message', async (t) => {
    const err = await rejects(t, tar(entry('evil\x1b[31m\xff', 'x')), /unexpected tar entry/);
    assert.match(err.message, /"evil\\x1b\[31m\\xff"/);
    assert.doesNotMatch(err.message, /\x1b/);
  });
});

describe('readBundle: entry types', () => {
  const types: Array<[string, string]> = [
    ['1', 'hard link'],
    ['2', 'symbolic link'],
    ['3', 'character device'],
    ['4', 'block device'],
    ['5', 'directory'],
    ['6', 'FIFO'],
    ['7', 'contiguous file'],
    ['S', 'GNU sparse file'],
    ['D', 'GNU dump directory'],
    ['V', 'GNU volume label'],
    ['M', 'GNU multi-volume continuation'],
    ['Z', "entry of unknown type 'Z'"],
  ];
  for (const [typeflag, kind] of types) {
    it(`rejects a ${kind} named manifest.json`, async (t) => {
      const header = rawHeader({ name: 'manifest.json', typeflag, linkname: 'module.wasm' });
      await rejects(t, tar(header, moduleEntry()), new RegExp(`tar entry manifest\\.json is a ${kind}`));
    });
  }

  it('names the kind of an unexpected non-file entry', async (t) => {
    await rejects(
      t,
      tar(rawHeader({ name: 'lib/', typeflag: '5' })),
      /unexpected tar entry "lib\/" \(directory\)/,
    );
  });
});

describe('readBundle: duplicates, missing and misplaced entries', () => {
  for (const [name, data] of [
    ['manifest.json', MANIFEST],
    ['module.wasm', OPAQUE_MODULE],
    ['signature.ed25519', Buffer.from('s')],
  ] as const) {
    it(`rejects a duplicate ${name}`, async (t) => {
      await rejects(
        t,
        wasmBundleTar(entry(name, data), entry(name, data)),
        new RegExp(`duplicate tar entry ${name}`),
      );
    });
  }

  it('rejects a duplicate even when its data is identical and it hides behind a PAX path', async (t) => {
    const bytes = tar(
      manifestEntry(),
      moduleEntry(),
      paxHeader([['path', 'manifest.json']]),
      entry('x', MANIFEST),
    );
    await rejects(t, bytes, /duplicate tar entry manifest\.json/);
  });

  it('rejects a bundle without manifest.json', async (t) => {
    await rejects(t, tar(moduleEntry()), /there is no manifest\.json entry/);
  });

  it('rejects an empty archive', async (t) => {
    await rejects(t, endOfArchive(), /there is no manifest\.json entry/);
  });

  it('rejects module.wasm in a container bundle', async (t) => {
    await rejects(
      t,
      tar(entry('manifest.json', jsonBytes(containerManifestValue())), moduleEntry()),
      /module\.wasm is not allowed in a container bundle/,
    );
  });

  it('rejects a wasm bundle without module.wasm', async (t) => {
    await rejects(t, tar(manifestEntry()), /there is no module\.wasm entry, which a wasm bundle needs/);
  });

  it('rejects signature.asc in a wasm bundle', async (t) => {
    await rejects(
      t,
      wasmBundleTar(entry('signature.asc', 'sig')),
      /signature\.asc is not allowed in a wasm bundle/,
    );
  });
});

describe('readBundle: size limits, checked from the header before any data', () => {
  // Each header claims a size over the limit and no data follows: the limit must fire, not truncation.
  it('manifest.json over 64 KiB', async (t) => {
    await rejects(
      t,
      rawHeader({ size: 64 * 1024 + 1 }),
      /manifest\.json is 65537 bytes, more than the limit of 65536/,
    );
  });

  it('manifest.json of exactly 64 KiB passes the limit (then fails as a manifest)', async (t) => {
    const big = Buffer.alloc(64 * 1024, 0x20);
    await rejects(t, tar(entry('manifest.json', big), moduleEntry()), /invalid manifest/, 'MANIFEST_INVALID');
  });

  for (const name of ['signature.ed25519', 'signature.asc']) {
    it(`${name} over 16 KiB`, async (t) => {
      await rejects(
        t,
        Buffer.concat([manifestEntry(), rawHeader({ name, size: 16 * 1024 + 1 })]),
        new RegExp(`${name} is 16385 bytes, more than the limit of 16384`),
      );
    });
  }

  it('module.wasm over the default 512 MiB', async (t) => {
    const err = await rejects(
      t,
      Buffer.concat([manifestEntry(), rawHeader({ name: 'module.wasm', size: 512 * 1024 * 1024 + 1 })]),
      /module\.wasm is 536870913 bytes, more than the limit of 536870912/,
    );
    assert.match(err.hint ?? '', /--max-module-size/);
  });

  it('module.wasm over maxModuleSize, and accepted when the limit is raised', async (t) => {
    const dir = await tempDir(t);
    const path = await writeRawBundle(dir, gzip(wasmBundleTar()));
    const err = await expectAurionError(
      () => readBundle(path, { maxModuleSize: OPAQUE_MODULE.length - 1 }),
      'BUNDLE_INVALID',
    );
    assert.match(err.message, /more than the limit/);
    assert.equal(
      (await readBundle(path, { maxModuleSize: OPAQUE_MODULE.length })).module?.size,
      OPAQUE_MODULE.length,
    );
  });
});

describe('readBundle: PAX and GNU extension headers', () => {
  it('honours a PAX path: the name it gives is the one checked', async (t) => {
    await rejects(
      t,
      tar(paxHeader([['path', '../manifest.json']]), manifestEntry(), moduleEntry()),
      /unexpected tar entry "\.\.\/manifest\.json"/,
    );
    const b = await readTar(
      t,
      tar(paxHeader([['path', 'manifest.json']]), entry('ignored-name', MANIFEST), moduleEntry()),
    );
    assert.deepEqual(b.manifestBytes, MANIFEST);
  });

  it('names the entry by its PAX path in messages about it', async (t) => {
    const bytes = tar(
      paxHeader([['path', 'module.wasm']]),
      rawHeader({ name: 'x', typeflag: '2' }),
      manifestEntry(),
    );
    await rejects(t, bytes, /tar entry module\.wasm is a symbolic link/);
  });

  it('honours a PAX size over the header size field', async (t) => {
    const bytes = tar(
      manifestEntry(),
      paxHeader([['size', String(OPAQUE_MODULE.length)]]),
      rawHeader({ name: 'module.wasm', size: 0 }),
      OPAQUE_MODULE,
      Buffer.alloc(512 - (OPAQUE_MODULE.length % 512)),
    );
    assert.equal((await readTar(t, bytes)).module?.sha256, sha256(OPAQUE_MODULE));
  });

  it('applies the limits to the PAX size', async (t) => {
    const bytes = Buffer.concat([paxHeader([['size', String(64 * 1024 + 1)]]), rawHeader({ size: 10 })]);
    await rejects(t, bytes, /manifest\.json is 65537 bytes, more than the limit/);
  });

  it('honours a fractional PAX mtime as whole seconds', async (t) => {
    const b = await readTar(t, tar(paxHeader([['mtime', '1767225600.75']]), manifestEntry(), moduleEntry()));
    assert.equal(b.mtime, 1767225600);
  });

  it('ignores harmless PAX records (atime, ctime, uid, xattrs)', async (t) => {
    const records: Array<[string, string]> = [
      ['atime', '1767225600.1'],
      ['ctime', '1767225600.2'],
      ['uid', '1000'],
      ['uname', 'alice'],
      ['SCHILY.xattr.user.note', 'hi'],
      ['LIBARCHIVE.xattr.user.note', 'aGk'],
    ];
    assert.equal(
      (await readTar(t, tar(paxHeader(records), manifestEntry(), moduleEntry()))).manifest.name,
      'dns-enum',
    );
  });

  const badPax: Array<[string, Buffer, RegExp]> = [
    [
      'a GNU sparse record',
      paxHeader([['GNU.sparse.major', '1']]),
      /record "GNU\.sparse\.major", which bundles do not accept/,
    ],
    ['a linkpath record', paxHeader([['linkpath', 'x']]), /record "linkpath"/],
    ['a hdrcharset record', paxHeader([['hdrcharset', 'BINARY']]), /record "hdrcharset"/],
    [
      'a repeated record',
      paxHeader([
        ['path', 'manifest.json'],
        ['path', 'module.wasm'],
      ]),
      /repeats the record "path"/,
    ],
    ['an empty path', paxHeader([['path', '']]), /empty path record/],
    ['a non-decimal size', paxHeader([['size', '0x10']]), /malformed size record/],
    ['a negative size', paxHeader([['size', '-1']]), /malformed size record/],
    ['an empty size', paxHeader([['size', '']]), /malformed size record/],
    ['a huge size', paxHeader([['size', '99999999999999999999']]), /malformed size record/],
    ['a malformed mtime', paxHeader([['mtime', '1e9']]), /malformed mtime record/],
    ['a record length that does not match', paxHeader('99 path=manifest.json\n'), /length does not match/],
    ['a record length with a leading zero', paxHeader('021 path=manifest.json\n'), /malformed record length/],
    ['a record without "="', paxHeader('10 pathxx\n'), /without a keyword/],
    ['a record with an empty keyword', paxHeader('9 =value\n'), /without a keyword/],
    ['bytes after the last record', paxHeader('22 path=manifest.json\njunk'), /malformed record length/],
  ];
  for (const [what, header, pattern] of badPax) {
    it(`rejects a PAX header with ${what}`, async (t) => {
      await rejects(t, tar(header, manifestEntry(), moduleEntry()), pattern);
    });
  }

  it('rejects a PAX header over 64 KiB', async (t) => {
    await rejects(
      t,
      rawHeader({ typeflag: 'x', size: 64 * 1024 + 1 }),
      /PAX extended header at offset 0 is 65537 bytes/,
    );
  });

  it('rejects a PAX header followed by another one', async (t) => {
    await rejects(
      t,
      tar(paxHeader([['mtime', '1']]), paxHeader([['mtime', '2']]), manifestEntry()),
      /follows another PAX/,
    );
  });

  it('rejects a PAX header followed by the end of the archive', async (t) => {
    await rejects(
      t,
      tar(manifestEntry(), moduleEntry(), paxHeader([['path', 'signature.asc']])),
      /not followed by an entry/,
    );
  });

  it('rejects a global PAX header', async (t) => {
    await rejects(
      t,
      tar(paxHeader([['comment', 'hi']], 'g'), manifestEntry(), moduleEntry()),
      /global PAX header .* is not accepted/,
    );
  });

  it('rejects GNU long-name and long-link headers', async (t) => {
    await rejects(
      t,
      tar(gnuLongHeader('manifest.json', 'L'), manifestEntry({ magic: 'gnu' }), moduleEntry()),
      /GNU long-name header "\.\/\.\/@LongLink" at offset 0 is not accepted/,
    );
    await rejects(
      t,
      tar(gnuLongHeader('x', 'K'), manifestEntry({ magic: 'gnu' }), moduleEntry()),
      /GNU long-link header/,
    );
  });
});

describe('readBundle: tar structure', () => {
  it('rejects a bad header checksum', async (t) => {
    const header = rawHeader({ size: MANIFEST.length });
    header[0] = 'M'.charCodeAt(0); // changed after the checksum was computed
    await rejects(
      t,
      tar(header, MANIFEST, Buffer.alloc(512 - MANIFEST.length), moduleEntry()),
      /bad header checksum at offset 0/,
    );
  });

  it('rejects a checksum field that is not octal', async (t) => {
    await rejects(t, tar(manifestEntry({ checksum: Buffer.from('12a4567\0') })), /bad header checksum/);
  });

  it('rejects a v7 header (no ustar magic)', async (t) => {
    await rejects(t, tar(manifestEntry({ magic: 'v7' }), moduleEntry()), /not a ustar header/);
  });

  it('rejects malformed numeric fields', async (t) => {
    await rejects(t, tar(manifestEntry({ size: Buffer.from('00000000009x') })), /malformed size field/);
    await rejects(t, tar(manifestEntry({ size: Buffer.alloc(12) })), /malformed size field/);
    const negative = Buffer.alloc(12, 0xff);
    await rejects(t, tar(manifestEntry({ size: negative })), /malformed size field/);
    await rejects(t, tar(manifestEntry({ mtime: Buffer.from('hello world!') })), /malformed mtime field/);
  });

  it('rejects non-zero data after the end-of-archive marker', async (t) => {
    const err = await rejects(
      t,
      Buffer.concat([wasmBundleTar(), Buffer.alloc(100), Buffer.from('hidden')]),
      /data after the tar end-of-archive marker/,
    );
    assert.match(err.message, new RegExp(`offset ${wasmBundleTar().length + 100}\\)`));
  });

  it('rejects a whole entry hidden after the end-of-archive marker', async (t) => {
    await rejects(
      t,
      Buffer.concat([wasmBundleTar(), entry('signature.ed25519', 'x')]),
      /data after the tar end-of-archive/,
    );
  });

  it('rejects more than 1 MiB of zero padding after the end-of-archive marker', async (t) => {
    await rejects(
      t,
      Buffer.concat([wasmBundleTar(), Buffer.alloc(1024 * 1024 + 1)]),
      /more than 1048576 bytes of zero padding/,
    );
  });

  it('rejects an archive without the end-of-archive marker, or with only one zero block', async (t) => {
    await rejects(
      t,
      Buffer.concat([manifestEntry(), moduleEntry()]),
      /truncated before the end-of-archive marker/,
    );
    await rejects(
      t,
      Buffer.concat([manifestEntry(), moduleEntry(), Buffer.alloc(512)]),
      /truncated after the first of the two zero blocks/,
    );
  });

  it('rejects a lone zero block followed by more entries', async (t) => {
    await rejects(
      t,
      tar(manifestEntry(), Buffer.alloc(512), moduleEntry()),
      /lone zero block at offset \d+ is followed by more headers/,
    );
  });
});

describe('readBundle: gzip layer', () => {
  it('rejects data that is not gzip (a plain tar)', async (t) => {
    await rejects(t, wasmBundleTar(), /not gzip data/, 'BUNDLE_INVALID', true);
  });

  it('rejects an empty file', async (t) => {
    await rejects(t, Buffer.alloc(0), /the file is empty/, 'BUNDLE_INVALID', true);
  });

  it('rejects gzip data that is not a tar', async (t) => {
    await rejects(t, Buffer.from('{"name": "not a tar"}'.padEnd(600)), /bad header checksum|not a ustar/);
  });

  it('rejects corrupt deflate data', async (t) => {
    const bytes = gzip(wasmBundleTar());
    flip(bytes, 40, 0xff);
    await rejects(t, bytes, /malformed bundle/, 'BUNDLE_INVALID', true);
  });

  it('rejects a bad gzip CRC', async (t) => {
    const bytes = gzip(wasmBundleTar());
    flip(bytes, bytes.length - 6, 0x01);
    await rejects(t, bytes, /gzip data is corrupt/, 'BUNDLE_INVALID', true);
  });

  const trailers: Array<[string, Buffer]> = [
    ['garbage', Buffer.from('garbage')],
    ['zero bytes', Buffer.alloc(16)],
    ['one zero byte', Buffer.alloc(1)],
    ['zero bytes then a gzip member', Buffer.concat([Buffer.alloc(4), gzipSync(Buffer.alloc(512))])],
    ['a gzip magic alone', Buffer.from([0x1f, 0x8b])],
    ['zero bytes then 1 MiB of garbage', Buffer.concat([Buffer.alloc(4), Buffer.alloc(1024 * 1024, 7)])],
  ];
  for (const [what, trailer] of trailers) {
    it(`rejects ${what} after the last gzip member`, async (t) => {
      await rejects(
        t,
        Buffer.concat([gzip(wasmBundleTar()), trailer]),
        /after the end of the gzip data|gzip data is (corrupt|truncated)/,
        'BUNDLE_INVALID',
        true,
      );
    });
  }

  it('accepts a trailing gzip member that holds only zero padding', async (t) => {
    const path = await writeRawBundle(
      await tempDir(t),
      Buffer.concat([gzip(wasmBundleTar()), gzipSync(Buffer.alloc(9000))]),
    );
    assert.equal((await readBundle(path)).manifest.name, 'dns-enum');
  });

  it('a bundle cut at any byte is BUNDLE_INVALID, never a crash', async (t) => {
    const bytes = gzip(wasmBundleTar(entry('signature.ed25519', 'abc')));
    const dir = await tempDir(t);
    for (let cut = 0; cut < bytes.length; cut++) {
      const path = await writeRawBundle(dir, bytes.subarray(0, cut), `cut-${cut}.aurion`);
      const err = await expectAurionError(() => readBundle(path), 'BUNDLE_INVALID');
      assert.match(err.message, /truncated|empty/, `cut at ${cut}: ${err.message}`);
    }
  });

  it('a tar cut at any 16-byte step (complete gzip) is BUNDLE_INVALID', async (t) => {
    const tarBytes = wasmBundleTar();
    const dir = await tempDir(t);
    for (let cut = 0; cut < tarBytes.length; cut += 16) {
      const path = await writeRawBundle(dir, gzip(tarBytes.subarray(0, cut)), `tcut-${cut}.aurion`);
      const err = await expectAurionError(() => readBundle(path), 'BUNDLE_INVALID');
      assert.match(
        err.message,
        /truncated|no manifest\.json|no module\.wasm/,
        `cut at ${cut}: ${err.message}`,
      );
    }
  });

  it('random corruption yields a result or an AurionError, never anything else', async (t) => {
    const bytes = gzip(wasmBundleTar(entry('signature.ed25519', 'abc')));
    const dir = await tempDir(t);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        async (flips) => {
          const copy = Buffer.from(bytes);
          for (const [at, mask] of flips) flip(copy, at, mask);
          const path = await writeRawBundle(dir, copy, `fuzz-${n++}.aurion`);
          try {
            await readBundle(path);
          } catch (e) {
            assert.ok(e instanceof AurionError, `not an AurionError: ${String(e)}`);
            assert.notEqual(e.code, 'INTERNAL', e.message);
          }
        },
      ),
      { numRuns: 150, seed: 4242 },
    );
  });
});

describe('readBundle: manifest.json content is MANIFEST_INVALID', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), MANIFEST]), /byte order mark/],
    [
      'bad UTF-8',
      Buffer.from(MANIFEST).fill(0xff, MANIFEST.indexOf('Passive'), MANIFEST.indexOf('Passive') + 1),
      /not valid UTF-8/,
    ],
    ['duplicate keys', Buffer.from(MANIFEST.toString().replace('{', '{\n  "name": "other",')), /duplicate/i],
    [
      'a schema error',
      jsonBytes(wasmManifestValue(OPAQUE_MODULE, { risk_class: 'High' })),
      /risk_class|invalid manifest/,
    ],
    [
      'a source-form module path',
      jsonBytes(
        wasmManifestValue(OPAQUE_MODULE, {
          module: { path: 'target/x.wasm', sha256: sha256(OPAQUE_MODULE), size: OPAQUE_MODULE.length },
        }),
      ),
      /module\/path|invalid manifest/,
    ],
    [
      'a module without sha256',
      jsonBytes(
        wasmManifestValue(OPAQUE_MODULE, { module: { path: 'module.wasm', size: OPAQUE_MODULE.length } }),
      ),
      /sha256/,
    ],
    ['not JSON', Buffer.from('name = "x"'), /invalid manifest/],
  ];
  for (const [what, manifest, pattern] of cases) {
    it(`rejects ${what}`, async (t) => {
      const err = await rejects(
        t,
        tar(entry('manifest.json', manifest), moduleEntry()),
        /invalid manifest .*test\.aurion:manifest\.json/,
        'MANIFEST_INVALID',
      );
      assert.match(`${err.message}\n${err.issues.map((i) => `${i.at} ${i.message}`).join('\n')}`, pattern);
    });
  }

  it('archive problems take precedence over manifest problems', async (t) => {
    await rejects(
      t,
      tar(entry('manifest.json', 'not json'), moduleEntry(), entry('extra', 'x')),
      /unexpected tar entry "extra"/,
    );
  });
});

describe('readBundle: files', () => {
  it('a missing file is IO_ERROR (exit 4)', async (t) => {
    const path = join(await tempDir(t), 'x.aurion');
    const err = await expectAurionError(() => readBundle(path), 'IO_ERROR');
    assert.equal(err.exitCode, 4);
    assert.match(err.message, /x\.aurion: no such file or directory/);
  });

  it('a directory is IO_ERROR', async (t) => {
    const dir = join(await tempDir(t), 'b.aurion');
    await mkdir(dir);
    await expectAurionError(() => readBundle(dir), 'IO_ERROR');
  });

  it('a FIFO is IO_ERROR at once, not a wait for a writer', async (t) => {
    const fifo = join(await tempDir(t), 'f.aurion');
    execFileSync('mkfifo', [fifo]);
    const err = await expectAurionError(() => readBundle(fifo), 'IO_ERROR');
    assert.match(err.message, /not a regular file/);
  });
});

describe('checkModuleDigest', () => {
  it('throws DIGEST_MISMATCH (exit 1) when the module data differs from the manifest', async (t) => {
    const other = Buffer.from(OPAQUE_MODULE);
    flip(other, 100, 1);
    const b = await readTar(t, tar(manifestEntry(), entry('module.wasm', other)));
    const err = await expectAurionError(() => checkModuleDigest(b), 'DIGEST_MISMATCH');
    assert.equal(err.exitCode, 1);
    assert.match(
      err.message,
      new RegExp(`its sha256 is ${sha256(other)}, the manifest says ${sha256(OPAQUE_MODULE)}`),
    );
  });

  it('throws DIGEST_MISMATCH when only the size differs', async (t) => {
    const manifest = jsonBytes(
      wasmManifestValue(OPAQUE_MODULE, {
        module: { path: 'module.wasm', sha256: sha256(OPAQUE_MODULE), size: 1 },
      }),
    );
    const b = await readTar(t, tar(entry('manifest.json', manifest), moduleEntry()));
    const err = await expectAurionError(() => checkModuleDigest(b), 'DIGEST_MISMATCH');
    assert.match(err.message, /its size is 1508 bytes, the manifest says 1/);
  });

  it('passes for a container bundle', async (t) => {
    const b = await readTar(t, tar(entry('manifest.json', jsonBytes(containerManifestValue()))));
    checkModuleDigest(b);
    assert.equal(b.module, undefined);
  });
});

describe('readBundle: small files (read whole, inflated in one call) and large ones (streamed) alike', () => {
  // Bundle files up to 256 KiB take the one-call path; random module bytes keep the large one over that.
  const small = OPAQUE_MODULE;
  const large = Buffer.concat([OPAQUE_MODULE, randomBytes(400 * 1024)]);
  const bundleOf = (module: Buffer) =>
    gzip(tar(entry('manifest.json', jsonBytes(wasmManifestValue(module))), entry('module.wasm', module)));

  for (const [what, module] of [
    ['small', small],
    ['large', large],
  ] as const) {
    it(`${what}: digests, bundle hash, progress and module chunks`, async (t) => {
      const bytes = bundleOf(module);
      assert.equal(bytes.length > 256 * 1024, what === 'large');
      const path = await writeRawBundle(await tempDir(t), bytes);
      const chunks: Buffer[] = [];
      let progress: [number, number] = [0, 0];
      const b = await readBundle(path, {
        hashBundle: true,
        onModuleChunk: (c) => chunks.push(Buffer.from(c)),
        onProgress: (done, total) => {
          progress = [done, total];
        },
      });
      assert.deepEqual(b.module, { sha256: sha256(module), size: module.length });
      assert.equal(b.sha256, sha256(bytes));
      assert.deepEqual(progress, [bytes.length, bytes.length]);
      assert.deepEqual(Buffer.concat(chunks), module);
    });

    it(`${what}: data after the gzip end, a cut and a module over the limit are BUNDLE_INVALID`, async (t) => {
      const bytes = bundleOf(module);
      await rejects(
        t,
        Buffer.concat([bytes, Buffer.from('junk')]),
        /after the end of the gzip data/,
        'BUNDLE_INVALID',
        true,
      );
      await rejects(t, bytes.subarray(0, bytes.length - 100), /truncated/, 'BUNDLE_INVALID', true);
      const path = await writeRawBundle(await tempDir(t), bytes);
      const err = await expectAurionError(() => readBundle(path, { maxModuleSize: 1000 }), 'BUNDLE_INVALID');
      assert.match(err.message, /module\.wasm is \d+ bytes, more than the limit of 1000/);
    });
  }

  it('a small file that inflates to more than 4 MiB is streamed from the bytes already read', async (t) => {
    const zeros = Buffer.concat([OPAQUE_MODULE, Buffer.alloc(6 * 1024 * 1024)]);
    const bytes = bundleOf(zeros);
    assert.ok(bytes.length < 256 * 1024);
    const b = await readBundle(await writeRawBundle(await tempDir(t), bytes), { hashBundle: true });
    assert.deepEqual(b.module, { sha256: sha256(zeros), size: zeros.length });
    assert.equal(b.sha256, sha256(bytes));
  });
});
