import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseBundleStream } from '../../src/core/bundle/reader.js';
import { AurionError } from '../../src/errors.js';
import { copyAndScan, copyToNewFile, scanFile } from '../../src/registry/transfer.js';
import { writeBundleFile } from '../fixtures/bundles.js';
import { wasmManifest } from '../fixtures/manifests.js';
import { TINY_WASM } from '../fixtures/modules.js';
import { expectAurionError, tempDir } from '../helpers.js';

const CHUNK = 64 * 1024;

/** `count` chunks of distinct bytes, made one at a time (never a buffer of the whole), counting what was taken. */
function source(count: number, taken = { chunks: 0 }): AsyncIterable<Uint8Array> {
  return (async function* () {
    for (let i = 0; i < count; i++) {
      taken.chunks++;
      yield Buffer.alloc(CHUNK, i % 251);
    }
  })();
}

function digestOf(count: number): { sha256: string; size: number } {
  const hash = createHash('sha256');
  for (let i = 0; i < count; i++) hash.update(Buffer.alloc(CHUNK, i % 251));
  return { sha256: hash.digest('hex'), size: count * CHUNK };
}

/** A scanner that hashes what it reads, slowly (every chunk waits a tick): the copy must wait for it. */
async function hashingScanner(bytes: Readable, size: number): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let read = 0;
  for await (const chunk of bytes) {
    hash.update(chunk as Buffer);
    read += (chunk as Buffer).length;
    await sleep(0);
  }
  assert.equal(read, size);
  return { sha256: hash.digest('hex'), size: read };
}

/** A scanner that gives up at once, the way the bundle reader does on bytes that are not gzip. */
async function givingUp(bytes: Readable): Promise<never> {
  for await (const _ of bytes) break; // leaving the loop destroys the stream
  throw new AurionError('BUNDLE_INVALID', 'not a bundle');
}

describe('copyAndScan: one pass, the bytes written are the bytes scanned', () => {
  it('the scanner reads exactly the bytes written, in order, from one read of the source', async (t) => {
    const dir = await tempDir(t);
    const expected = digestOf(160); // 10 MiB: many times the scanner's buffer
    const taken = { chunks: 0 };
    const out = join(dir, 'copy');
    const copied = await copyAndScan(source(160, taken), out, { expected, what: 'test' }, hashingScanner);
    assert.deepEqual({ sha256: copied.sha256, size: copied.size }, expected);
    assert.deepEqual(copied.scanned, expected);
    assert.equal(taken.chunks, 160); // the source was read once
    const written = await readFile(out);
    assert.equal(createHash('sha256').update(written).digest('hex'), expected.sha256);
  });

  it("a scanner that gives up early: the copy still ends, and the scanner's error is the verdict", async (t) => {
    const dir = await tempDir(t);
    const expected = digestOf(80);
    const taken = { chunks: 0 };
    await expectAurionError(
      () => copyAndScan(source(80, taken), join(dir, 'copy'), { expected, what: 'test' }, givingUp),
      'BUNDLE_INVALID',
    );
    assert.equal(taken.chunks, 80);
  });

  it('bytes that do not match the digest are DIGEST_MISMATCH whatever the scanner said', async (t) => {
    const dir = await tempDir(t);
    const other = { ...digestOf(80), sha256: '0'.repeat(64) };
    await expectAurionError(
      () => copyAndScan(source(80), join(dir, 'a'), { expected: other, what: 'test' }, givingUp),
      'DIGEST_MISMATCH',
    );
    await expectAurionError(
      () => copyAndScan(source(80), join(dir, 'b'), { expected: other, what: 'test' }, hashingScanner),
      'DIGEST_MISMATCH',
    );
    // Too many bytes stop the copy at once, with the scanner left waiting for more: it is released.
    const short = digestOf(10);
    const taken = { chunks: 0 };
    await expectAurionError(
      () => copyAndScan(source(80, taken), join(dir, 'c'), { expected: short, what: 'test' }, hashingScanner),
      'DIGEST_MISMATCH',
    );
    assert.equal(taken.chunks, 11);
  });

  it('a scanner piping the bytes on (the bundle reader) is released when the copy fails midway', async (t) => {
    // The reader pipes into gunzip; a copy stopped by too many bytes must fail it, not leave it waiting.
    const dir = await tempDir(t);
    const module = Buffer.concat([TINY_WASM, randomBytes(4 * 1024 * 1024)]);
    const path = await writeBundleFile(join(dir, 'big.aurion'), { manifest: wasmManifest(module), module });
    const gzipped = await readFile(path);
    const chunks = Array.from({ length: Math.ceil(gzipped.length / CHUNK) }, (_, i) =>
      gzipped.subarray(i * CHUNK, (i + 1) * CHUNK),
    );
    const expected = { sha256: '0'.repeat(64), size: Math.floor(gzipped.length / 2) };
    await expectAurionError(
      () =>
        copyAndScan(chunks, join(dir, 'copy'), { expected, what: 'test' }, (bytes, size) =>
          parseBundleStream('test.aurion', bytes, size, {}, (e) => new AurionError('IO_ERROR', String(e))),
        ),
      'DIGEST_MISMATCH',
    );
  });

  it('copyToNewFile and copyAndScan agree on the digest', async (t) => {
    const dir = await tempDir(t);
    const expected = digestOf(20);
    const plain = await copyToNewFile(source(20), join(dir, 'plain'), { expected, what: 'test' });
    const scanned = await copyAndScan(
      source(20),
      join(dir, 'scanned'),
      { expected, what: 'test' },
      async (b) => {
        b.resume();
        return 'read';
      },
    );
    assert.deepEqual(plain, expected);
    assert.equal(scanned.scanned, 'read');
    assert.deepEqual(await readFile(join(dir, 'plain')), await readFile(join(dir, 'scanned')));
  });

  it('a file scanned after its download reports the bytes read, in order, up to its size', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'downloaded');
    const count = 40; // 2.5 MiB: several reads
    const bytes = Buffer.concat(Array.from({ length: count }, (_, i) => Buffer.alloc(CHUNK, i % 251)));
    await writeFile(path, bytes);
    const seen: number[] = [];
    const scanned = await scanFile(path, bytes.length, hashingScanner, (done) => seen.push(done));
    assert.deepEqual(scanned, digestOf(count));
    assert.ok(seen.length > 1, `one report per read, got ${seen.length}`);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
    );
    assert.equal(seen.at(-1), bytes.length);
  });
});
