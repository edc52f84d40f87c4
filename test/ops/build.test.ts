import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { checkModuleDigest } from '../../src/core/bundle/index.js';
import { readBundle } from '../../src/io/bundle-file.js';
import { buildBundle } from '../../src/ops/build.js';
import { sha256 } from '../fixtures/digest.js';
import { containerManifestValue, sourceManifest } from '../fixtures/manifests.js';
import { MODULE_PATH, VALID_WAT, wat } from '../fixtures/modules.js';
import { writeProject } from '../fixtures/projects.js';
import { expectAurionError, tempDir } from '../helpers.js';

type T = Parameters<typeof tempDir>[0];

async function project(t: T, manifest?: Record<string, unknown> | string, module?: Buffer | null) {
  const dir = join(await tempDir(t), 'dns-enum');
  const bytes = await writeProject(dir, manifest, module);
  return { dir, module: bytes };
}

describe('buildBundle', () => {
  it('writes dist/<name>-<version>.aurion with the module and the bundle form of the manifest', async (t) => {
    const { dir, module } = await project(t);
    const result = await buildBundle({ dir });
    assert.equal(result.bundle, join(dir, 'dist', 'dns-enum-1.2.0.aurion'));
    const file = await readFile(result.bundle);
    assert.equal(result.sha256, sha256(file));
    assert.equal(result.size, file.length);

    const b = await readBundle(result.bundle);
    checkModuleDigest(b);
    assert.deepEqual(b.module, { sha256: sha256(module!), size: module!.length });
    assert.equal(b.mtime, 0);
    const expected = sourceManifest({
      module: { path: 'module.wasm', sha256: sha256(module!), size: module!.length },
    });
    // Same keys in the same order (module where it was), 2-space JSON with a final newline.
    assert.equal(b.manifestBytes.toString(), `${JSON.stringify(expected, null, 2)}\n`);
    assert.deepEqual(result.manifest, expected);
  });

  it('is reproducible: two builds are byte-identical; SOURCE_DATE_EPOCH changes only the mtimes', async (t) => {
    const { dir } = await project(t);
    const a = await buildBundle({ dir, output: join(dir, 'a.aurion') });
    const b = await buildBundle({ dir, output: join(dir, 'b.aurion') });
    assert.deepEqual(await readFile(a.bundle), await readFile(b.bundle));
    assert.equal(a.sha256, b.sha256);

    const c = await buildBundle({ dir, output: join(dir, 'c.aurion'), sourceDateEpoch: 1767225600 });
    assert.notEqual(c.sha256, a.sha256);
    assert.equal((await readBundle(c.bundle)).mtime, 1767225600);
    const tarA = gunzipSync(await readFile(a.bundle));
    const tarC = gunzipSync(await readFile(c.bundle));
    assert.equal(tarA.length, tarC.length);
    for (let i = 0; i < tarA.length; i++) {
      if (tarA[i] !== tarC[i])
        assert.ok(i % 512 >= 136 && i % 512 < 156, `byte ${i} differs outside mtime/checksum`);
    }
  });

  it('builds a container bundle holding only manifest.json', async (t) => {
    const { dir } = await project(t, containerManifestValue(), null);
    const result = await buildBundle({ dir, output: join(dir, 'out.aurion') });
    const b = await readBundle(result.bundle);
    assert.equal(b.module, undefined);
    assert.equal(b.manifestBytes.toString(), `${JSON.stringify(containerManifestValue(), null, 2)}\n`);
  });

  it('accepts a module whose digest and size the source manifest pins', async (t) => {
    const module = await wat(VALID_WAT);
    const manifest = sourceManifest({
      module: { path: MODULE_PATH, sha256: sha256(module), size: module.length },
    });
    const { dir } = await project(t, manifest, module);
    assert.equal((await readBundle((await buildBundle({ dir })).bundle)).module?.size, module.length);
  });

  it('replaces an existing output and leaves no temporary file', async (t) => {
    const { dir } = await project(t);
    await mkdir(join(dir, 'dist'));
    await writeFile(join(dir, 'dist', 'dns-enum-1.2.0.aurion'), 'old');
    const result = await buildBundle({ dir });
    assert.equal((await readBundle(result.bundle)).manifest.name, 'dns-enum');
    assert.deepEqual(await readdir(join(dir, 'dist')), ['dns-enum-1.2.0.aurion']);
  });

  it('reports progress over both reads of the module', async (t) => {
    const { dir, module } = await project(t);
    const seen: Array<[number, number]> = [];
    await buildBundle({ dir, onProgress: (done, total) => seen.push([done, total]) });
    assert.deepEqual(seen.at(-1), [2 * module!.length, 2 * module!.length]);
    assert.ok(seen.every(([done, total], i) => done <= total && (i === 0 || done >= seen[i - 1]![0])));
  });
});

describe('buildBundle failures', () => {
  it('a missing manifest.json is IO_ERROR with a hint to init', async (t) => {
    const dir = await tempDir(t);
    const err = await expectAurionError(() => buildBundle({ dir }), 'IO_ERROR');
    assert.match(err.message, /manifest\.json: no such file or directory/);
    assert.match(err.hint ?? '', /aurion-plugin init/);
  });

  it('an invalid manifest is MANIFEST_INVALID, every problem with its pointer', async (t) => {
    const { dir } = await project(t, sourceManifest({ name: 'Bad Name', risk_class: 'High', extra: 1 }));
    const err = await expectAurionError(() => buildBundle({ dir }), 'MANIFEST_INVALID');
    const pointers = err.issues.map((i) => i.at);
    for (const p of ['/name', '/risk_class', '/extra'])
      assert.ok(pointers.includes(p), `${p} in ${pointers}`);
  });

  it('a manifest with duplicate keys is MANIFEST_INVALID', async (t) => {
    const { dir } = await project(t, '{"name": "a", "name": "b"}');
    await expectAurionError(() => buildBundle({ dir }), 'MANIFEST_INVALID');
  });

  it('a missing module is IO_ERROR naming the module path', async (t) => {
    const { dir } = await project(t, sourceManifest(), null);
    const err = await expectAurionError(() => buildBundle({ dir }), 'IO_ERROR');
    assert.match(err.message, /dns_enum\.wasm: no such file or directory/);
    assert.match(err.hint ?? '', /module\.path/);
  });

  it('a module path that is a folder is IO_ERROR', async (t) => {
    const { dir } = await project(t, sourceManifest({ module: { path: 'target' } }));
    await expectAurionError(() => buildBundle({ dir }), 'IO_ERROR');
  });

  const wasmCases: Array<[string, string | Buffer, RegExp, Record<string, unknown>?]> = [
    ['not WebAssembly', Buffer.from('#!/bin/sh\necho hi\n'), /./],
    ['an empty file', Buffer.alloc(0), /./],
    ['no run export', '(module (func (export "start")))', /run/],
    ['an undeclared import module', '(module (import "env" "f" (func)) (func (export "run")))', /env/],
    [
      'initial memory over limits.memory_mib',
      '(module (memory 17) (func (export "run")))',
      /memory/,
      { limits: { memory_mib: 1 } },
    ],
  ];
  for (const [what, source, pattern, extra] of wasmCases) {
    it(`a module with ${what} is WASM_INVALID, and nothing is written`, async (t) => {
      const bytes = typeof source === 'string' ? await wat(source) : source;
      const { dir } = await project(t, sourceManifest(extra), bytes);
      const err = await expectAurionError(() => buildBundle({ dir }), 'WASM_INVALID');
      assert.match(`${err.message} ${err.issues.map((i) => i.message).join(' ')}`, pattern);
      assert.deepEqual(await readdir(dir), ['manifest.json', 'target']);
    });
  }

  it('a module importing a declared host module passes', async (t) => {
    const bytes = await wat('(module (import "aurion_dns" "resolve" (func)) (func (export "run")))');
    const { dir } = await project(t, sourceManifest({ host_imports: ['aurion_dns'] }), bytes);
    assert.ok((await buildBundle({ dir })).sha256);
  });

  it('a module over maxModuleSize is BUNDLE_INVALID with a hint, checked before reading', async (t) => {
    const { dir, module } = await project(t);
    const err = await expectAurionError(
      () => buildBundle({ dir, maxModuleSize: module!.length - 1 }),
      'BUNDLE_INVALID',
    );
    assert.match(err.message, /more than the limit/);
    assert.match(err.hint ?? '', /--max-module-size/);
    assert.ok((await buildBundle({ dir, maxModuleSize: module!.length })).sha256);
  });

  it('a module that differs from the digest pinned in the source manifest is DIGEST_MISMATCH', async (t) => {
    const { dir } = await project(
      t,
      sourceManifest({ module: { path: MODULE_PATH, sha256: 'ab'.repeat(32) } }),
    );
    await expectAurionError(() => buildBundle({ dir }), 'DIGEST_MISMATCH');
  });

  it('an output in a missing folder is IO_ERROR', async (t) => {
    const { dir } = await project(t);
    await expectAurionError(
      () => buildBundle({ dir, output: join(dir, 'no', 'such', 'x.aurion') }),
      'IO_ERROR',
    );
  });

  it('a manifest over 64 KiB in the bundle is MANIFEST_INVALID', async (t) => {
    const { dir } = await project(t, sourceManifest({ 'x-notes': 'n'.repeat(70 * 1024) }));
    const err = await expectAurionError(() => buildBundle({ dir }), 'MANIFEST_INVALID');
    assert.match(err.message, /more than the limit of 65536/);
  });

  it('an invalid sourceDateEpoch is USAGE', async (t) => {
    const { dir } = await project(t);
    for (const bad of [-1, 1.5, 8 ** 11])
      await expectAurionError(() => buildBundle({ dir, sourceDateEpoch: bad }), 'USAGE');
  });

  it('a module changed between the two reads is IO_ERROR, and nothing is written', async (t) => {
    const { dir, module } = await project(t);
    const modulePath = join(dir, MODULE_PATH);
    for (const replacement of [
      Buffer.from(module!).fill(0, module!.length - 4),
      Buffer.concat([module!, Buffer.from([0])]),
    ]) {
      const err = await expectAurionError(
        () =>
          buildBundle({
            dir,
            onProgress: (done, total) => {
              // The last chunk of the first read: swap the file before the second read starts.
              if (done === total / 2) writeFileSync(modulePath, replacement);
            },
          }),
        'IO_ERROR',
      );
      // Which read notices depends on whether the first read had already finished when the file was swapped.
      assert.match(err.message, /changed while (the bundle was written|it was read)/);
      assert.deepEqual(await readdir(join(dir, 'dist')), []);
      await writeFile(modulePath, module!);
    }
  });
});
