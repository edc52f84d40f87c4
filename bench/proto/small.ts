/**
 * Per-bundle cost of reading small bundles in one process (P4): node dist/bench/proto/small.js BUNDLE [N].
 * Compares ways to get a small bundle's bytes through gunzip: the large-bundle stream settings (1 MiB reads
 * and inflate chunks), stream settings scaled to the file, and one read plus one inflate call on the
 * thread pool. Prints microseconds per bundle for each (the best of 5 passes over N bundles).
 */
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip, gunzip, gunzipSync } from 'node:zlib';

const gunzipAsync = promisify(gunzip);
const MiB = 1 << 20;

async function streamed(path: string, chunk: number): Promise<number> {
  let n = 0;
  const g = createGunzip({ chunkSize: chunk });
  g.on('data', (c: Buffer) => {
    n += c.length;
  });
  await pipeline(createReadStream(path, { highWaterMark: chunk }), g);
  return n;
}

async function scaled(path: string): Promise<number> {
  const { size } = await stat(path);
  // Read the whole file in one go when it is small; inflate output of at most 1 MiB per chunk.
  const read = Math.min(MiB, Math.max(16 * 1024, size));
  const out = Math.min(MiB, Math.max(64 * 1024, size * 4));
  let n = 0;
  const g = createGunzip({ chunkSize: out });
  g.on('data', (c: Buffer) => {
    n += c.length;
  });
  const handle = await open(path, 'r');
  await pipeline(handle.createReadStream({ highWaterMark: read }), g);
  return n;
}

async function whole(path: string): Promise<number> {
  return (await gunzipAsync(await readFile(path))).length;
}

async function wholeSync(path: string): Promise<number> {
  return gunzipSync(await readFile(path)).length;
}

const [path, count] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: small.js BUNDLE [N]');
const n = Number(count ?? 200);
const variants: Record<string, (p: string) => Promise<number>> = {
  'stream 1 MiB': (p) => streamed(p, MiB),
  'stream 64 KiB': (p) => streamed(p, 64 * 1024),
  'stream scaled to size': scaled,
  'readFile + gunzip (pool)': whole,
  'readFile + gunzipSync': wholeSync,
};
for (const [name, fn] of Object.entries(variants)) {
  let best = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 5; pass++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn(path);
    best = Math.min(best, (performance.now() - t0) / n);
  }
  process.stdout.write(`${name.padEnd(28)} ${(best * 1000).toFixed(0)} us/bundle\n`);
}
