import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { type BundleSpec, writeBundle } from '../../../src/core/bundle/index.js';
import { readBundle, rewriteBundle } from '../../../src/io/bundle-file.js';
import { writeRawBundle } from '../../fixtures/bundles.js';
import { sha256 } from '../../fixtures/digest.js';
import { containerManifestValue, jsonBytes, wasmManifestValue } from '../../fixtures/manifests.js';
import { OPAQUE_MODULE } from '../../fixtures/modules.js';
import { expectAurionError, tempDir } from '../../helpers.js';

/** Collects what a writer writes. */
class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk);
    callback();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function wasmSpec(module: Buffer = OPAQUE_MODULE, mtime = 0, extra: Partial<BundleSpec> = {}): BundleSpec {
  return {
    manifestBytes: jsonBytes(wasmManifestValue(module)),
    // Several chunks of odd sizes, as a file stream would give.
    module: {
      size: module.length,
      open: () => Readable.from([module.subarray(0, 7), module.subarray(7, 1000), module.subarray(1000)]),
    },
    mtime,
    ...extra,
  };
}

async function write(spec: BundleSpec): Promise<Buffer> {
  const out = new Collector();
  const result = await writeBundle(out, spec);
  assert.equal(result.sha256, sha256(out.bytes));
  assert.equal(result.size, out.bytes.length);
  return out.bytes;
}

/** `tar -tv` with UTC times, as an independent reader. */
function gnuTarList(path: string): string[] {
  return execFileSync('tar', ['--utc', '-tvzf', path], { encoding: 'utf8' }).trim().split('\n');
}

const PYTHON_LIST = `
import json, sys, tarfile
with tarfile.open(sys.argv[1], 'r:gz') as t:
    print(json.dumps([dict(name=m.name, size=m.size, mode=m.mode, uid=m.uid, gid=m.gid, uname=m.uname,
                           gname=m.gname, mtime=m.mtime, regular=m.isreg(), pax=m.pax_headers) for m in t.getmembers()]))
`;

describe('writeBundle', () => {
  it('is deterministic: the same inputs give byte-identical bundles', async () => {
    const a = await write(wasmSpec(OPAQUE_MODULE, 1767225600));
    const b = await write(wasmSpec(OPAQUE_MODULE, 1767225600));
    assert.deepEqual(a, b);
  });

  it('writes the gzip header SPEC §4 fixes: mtime 0, no file name, OS byte 3', async () => {
    const bytes = await write(wasmSpec());
    assert.equal(bytes.subarray(0, 10).toString('hex'), '1f8b0800000000000003');
  });

  it('the mtime changes only the mtime and checksum fields of the headers', async () => {
    const zero = gunzipSync(await write(wasmSpec(OPAQUE_MODULE, 0)));
    const epoch = gunzipSync(await write(wasmSpec(OPAQUE_MODULE, 1767225600)));
    assert.equal(zero.length, epoch.length);
    const blocks = (n: number) => Math.ceil(n / 512) * 512;
    const headers = [0, 512 + blocks(jsonBytes(wasmManifestValue(OPAQUE_MODULE)).length)];
    for (let i = 0; i < zero.length; i++) {
      if (zero[i] === epoch[i]) continue;
      const field = headers.map((h) => i - h).find((o) => o >= 136 && o < 156);
      assert.ok(field !== undefined, `byte ${i} differs outside an mtime/checksum field`);
    }
    assert.notDeepEqual(zero, epoch);
  });

  it('writes entries in order with mode 0644, uid/gid 0, empty names, the mtime; GNU tar agrees', async (t) => {
    const dir = await tempDir(t);
    const path = await writeRawBundle(
      dir,
      await write({
        manifestBytes: jsonBytes(containerManifestValue()),
        signatureEd25519: Buffer.from('{"e":1}'),
        signatureAsc: Buffer.from('-----BEGIN PGP SIGNATURE-----\n'),
        mtime: 1767225600,
      }),
    );
    const lines = gnuTarList(path);
    assert.equal(lines.length, 3);
    const manifestSize = jsonBytes(containerManifestValue()).length;
    assert.match(lines[0]!, new RegExp(`^-rw-r--r-- 0/0 +${manifestSize} 2026-01-01 00:00 manifest\\.json$`));
    assert.match(lines[1]!, /^-rw-r--r-- 0\/0 +7 2026-01-01 00:00 signature\.ed25519$/);
    assert.match(lines[2]!, /^-rw-r--r-- 0\/0 +30 2026-01-01 00:00 signature\.asc$/);
  });

  it("Python's tarfile reads the same attributes, with no PAX headers", async (t) => {
    const dir = await tempDir(t);
    const path = await writeRawBundle(
      dir,
      await write(wasmSpec(OPAQUE_MODULE, 1767225600, { signatureEd25519: Buffer.from('s') })),
    );
    const members = JSON.parse(execFileSync('python3', ['-c', PYTHON_LIST, path], { encoding: 'utf8' }));
    assert.deepEqual(
      members.map((m: { name: string }) => m.name),
      ['manifest.json', 'module.wasm', 'signature.ed25519'],
    );
    for (const m of members) {
      assert.deepEqual(
        {
          mode: m.mode,
          uid: m.uid,
          gid: m.gid,
          uname: m.uname,
          gname: m.gname,
          mtime: m.mtime,
          regular: m.regular,
          pax: m.pax,
        },
        { mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: 1767225600, regular: true, pax: {} },
      );
    }
    assert.equal(members[1].size, OPAQUE_MODULE.length);
  });

  it('round-trips through the reader, and GNU tar extracts the exact bytes', async (t) => {
    const dir = await tempDir(t);
    const module = randomBytes(3 * 1024 * 1024 + 17); // several inflate chunks
    const spec = wasmSpec(module, 5, { signatureEd25519: Buffer.from('sig') });
    const path = await writeRawBundle(dir, await write(spec));
    const b = await readBundle(path);
    assert.deepEqual(b.manifestBytes, spec.manifestBytes);
    assert.deepEqual(b.module, { sha256: sha256(module), size: module.length });
    assert.equal(b.mtime, 5);
    const out = join(dir, 'x');
    await mkdir(out);
    execFileSync('tar', ['-xzf', path, '-C', out]);
    assert.deepEqual(await readFile(join(out, 'module.wasm')), module);
    assert.deepEqual((await readdir(out)).sort(), ['manifest.json', 'module.wasm', 'signature.ed25519']);
  });

  for (const [what, delta] of [
    ['shorter', -1],
    ['longer', 1],
  ] as const) {
    it(`refuses a module stream ${what} than its declared size (IO_ERROR)`, async () => {
      const spec: BundleSpec = {
        manifestBytes: jsonBytes(wasmManifestValue(OPAQUE_MODULE)),
        module: { size: OPAQUE_MODULE.length - delta, open: () => Readable.from([OPAQUE_MODULE]) },
        mtime: 0,
      };
      const err = await expectAurionError(() => writeBundle(new Collector(), spec), 'IO_ERROR');
      assert.match(err.message, /module\.wasm changed while the bundle was written/);
    });
  }

  it('refuses a manifest over 64 KiB (MANIFEST_INVALID) and a signature over 16 KiB (BUNDLE_INVALID)', async () => {
    await expectAurionError(
      () => writeBundle(new Collector(), { manifestBytes: Buffer.alloc(64 * 1024 + 1), mtime: 0 }),
      'MANIFEST_INVALID',
    );
    await expectAurionError(
      () => writeBundle(new Collector(), { ...wasmSpec(), signatureEd25519: Buffer.alloc(16 * 1024 + 1) }),
      'BUNDLE_INVALID',
    );
  });

  it('refuses an mtime a ustar header cannot hold', async () => {
    await expectAurionError(
      () => writeBundle(new Collector(), wasmSpec(OPAQUE_MODULE, 8 ** 11)),
      'BUNDLE_INVALID',
    );
  });
});

describe('the reader accepts the same files packed by other tools', () => {
  const FILES = {
    manifest: jsonBytes(wasmManifestValue(OPAQUE_MODULE)),
    module: OPAQUE_MODULE,
    sig: Buffer.from('{"s":1}'),
  };
  async function sources(t: Parameters<typeof tempDir>[0]) {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'manifest.json'), FILES.manifest);
    await writeFile(join(dir, 'module.wasm'), FILES.module);
    await writeFile(join(dir, 'signature.ed25519'), FILES.sig);
    return dir;
  }
  const check = async (path: string) => {
    const b = await readBundle(path);
    assert.deepEqual(b.manifestBytes, FILES.manifest);
    assert.deepEqual(b.module, { sha256: sha256(OPAQUE_MODULE), size: OPAQUE_MODULE.length });
    assert.deepEqual(b.signatureEd25519, FILES.sig);
  };

  for (const format of ['gnu', 'oldgnu', 'ustar', 'posix']) {
    it(`GNU tar --format=${format}, other entry order`, async (t) => {
      const dir = await sources(t);
      const path = join(dir, 'out.aurion');
      execFileSync('tar', [
        `--format=${format}`,
        '-czf',
        path,
        '-C',
        dir,
        'signature.ed25519',
        'module.wasm',
        'manifest.json',
      ]);
      await check(path);
    });
  }

  for (const format of ['PAX_FORMAT', 'GNU_FORMAT', 'USTAR_FORMAT']) {
    it(`Python tarfile ${format}, other entry order`, async (t) => {
      const dir = await sources(t);
      const path = join(dir, 'out.aurion');
      const script = `
import sys, tarfile, os
os.chdir(sys.argv[1])
with tarfile.open(sys.argv[2], 'w:gz', format=tarfile.${format}) as t:
    for name in ['module.wasm', 'signature.ed25519', 'manifest.json']:
        t.add(name)
`;
      execFileSync('python3', ['-c', script, dir, path]);
      await check(path);
    });
  }

  it('GNU tar with ./ prefixed names is rejected (names are byte-exact)', async (t) => {
    const dir = await sources(t);
    const path = join(dir, 'out.aurion');
    execFileSync('tar', ['-czf', path, '-C', dir, './manifest.json', './module.wasm']);
    const err = await expectAurionError(() => readBundle(path), 'BUNDLE_INVALID');
    assert.match(err.message, /unexpected tar entry "\.\/manifest\.json"/);
  });
});

describe('rewriteBundle', () => {
  async function source(
    t: Parameters<typeof tempDir>[0],
    spec: BundleSpec = wasmSpec(OPAQUE_MODULE, 1767225600),
  ) {
    const dir = await tempDir(t);
    const path = await writeRawBundle(dir, await write(spec), 'src.aurion');
    return { dir, path, contents: await readBundle(path) };
  }

  it('adds a signature, keeping manifest bytes, mtime and module; equal to writing it directly', async (t) => {
    const { dir, contents } = await source(t);
    const dest = join(dir, 'signed.aurion');
    const result = await rewriteBundle(contents, dest, { signatureEd25519: Buffer.from('{"sig":true}') });
    const bytes = await readFile(dest);
    assert.deepEqual(result, { sha256: sha256(bytes), size: bytes.length });
    const direct = await write(
      wasmSpec(OPAQUE_MODULE, 1767225600, { signatureEd25519: Buffer.from('{"sig":true}') }),
    );
    assert.deepEqual(bytes, direct);
    const again = await readBundle(dest);
    assert.deepEqual(again.manifestBytes, contents.manifestBytes);
    assert.equal(again.mtime, 1767225600);
    assert.deepEqual(again.module, contents.module);
  });

  it('replaces an existing signature and keeps the other one (container bundle)', async (t) => {
    const { path, contents } = await source(t, {
      manifestBytes: jsonBytes(containerManifestValue()),
      signatureEd25519: Buffer.from('old'),
      signatureAsc: Buffer.from('asc'),
      mtime: 0,
    });
    await rewriteBundle(contents, path, { signatureEd25519: Buffer.from('new') });
    const again = await readBundle(path);
    assert.equal(again.signatureEd25519?.toString(), 'new');
    assert.equal(again.signatureAsc?.toString(), 'asc');
  });

  it('rewrites in place atomically, leaving no temporary file', async (t) => {
    const { dir, path, contents } = await source(t);
    await rewriteBundle(contents, path, { signatureEd25519: Buffer.from('x') });
    assert.deepEqual(await readdir(dir), ['src.aurion']);
    assert.equal((await readBundle(path)).signatureEd25519?.toString(), 'x');
  });

  it('streams a large module with backpressure and keeps it intact', async (t) => {
    const module = randomBytes(5 * 1024 * 1024 + 3);
    const { dir, contents } = await source(t, wasmSpec(module));
    const dest = join(dir, 'out.aurion');
    await rewriteBundle(contents, dest, { signatureEd25519: Buffer.from('x') });
    assert.deepEqual((await readBundle(dest)).module, { sha256: sha256(module), size: module.length });
  });

  it('fails with IO_ERROR, writing nothing, when the source was swapped for another bundle', async (t) => {
    const { dir, path, contents } = await source(t);
    const other = Buffer.from(OPAQUE_MODULE);
    other[500] = 0;
    await writeFile(path, await write(wasmSpec(other, 1767225600)));
    const dest = join(dir, 'out.aurion');
    const err = await expectAurionError(
      () => rewriteBundle(contents, dest, { signatureEd25519: Buffer.from('x') }),
      'IO_ERROR',
    );
    assert.match(err.message, /changed while it was being rewritten/);
    assert.deepEqual(await readdir(dir), ['src.aurion']);
  });

  it('fails with BUNDLE_INVALID, writing nothing, when the source became malformed', async (t) => {
    const { dir, path, contents } = await source(t);
    await writeFile(path, 'not a bundle any more');
    await expectAurionError(
      () => rewriteBundle(contents, path, { signatureEd25519: Buffer.from('x') }),
      'BUNDLE_INVALID',
    );
    assert.deepEqual(await readdir(dir), ['src.aurion']);
    assert.equal(await readFile(path, 'utf8'), 'not a bundle any more');
  });

  it('fails with IO_ERROR when the destination folder does not exist', async (t) => {
    const { dir, contents } = await source(t);
    await expectAurionError(() => rewriteBundle(contents, join(dir, 'nope', 'out.aurion'), {}), 'IO_ERROR');
  });
});
