/**
 * Prototype bundle writer for the pipeline experiments: node dist/bench/proto/make-bundle.js MODULE OUT
 * [--members BYTES] [--level N]. Without --members the tar is one gzip member (a plain `tar | gzip -6`); with
 * it, the tar stream is cut every BYTES uncompressed bytes and each piece is deflated on its own (gzip members,
 * as BGZF does), which lets build deflate pieces in parallel on zlib's thread pool and lets a reader that knows
 * the member boundaries inflate them in parallel. Either form is a plain .tar.gz to every other tool.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { constants, createGzip, gzip } from 'node:zlib';
import { END, padding, ustarHeader } from './tar.js';

const gzipAsync = promisify(gzip);
const CHUNK = 1 << 20;

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: CHUNK })) h.update(c as Buffer);
  return h.digest('hex');
}

/** The uncompressed tar stream: manifest.json, module.wasm (streamed), signature.ed25519 (a stand-in). */
async function* tarStream(modulePath: string): AsyncGenerator<Buffer> {
  const size = statSync(modulePath).size;
  const manifest = Buffer.from(
    JSON.stringify({
      schema_version: 1,
      name: 'bench',
      version: '1.0.0',
      capabilities: ['PassiveEnum'],
      risk_class: 'Low',
      runtime: 'wasm',
      module: { path: 'module.wasm', sha256: await sha256File(modulePath), size },
    }),
  );
  yield Buffer.concat([ustarHeader('manifest.json', manifest.length, 0), manifest, padding(manifest.length)]);
  yield ustarHeader('module.wasm', size, 0);
  for await (const c of createReadStream(modulePath, { highWaterMark: CHUNK })) yield c as Buffer;
  const sig = Buffer.from('{"schema_version":1}');
  yield Buffer.concat([
    padding(size),
    ustarHeader('signature.ed25519', sig.length, 0),
    sig,
    padding(sig.length),
  ]);
  yield END;
}

/** Re-cuts a stream of buffers into pieces of exactly `size` bytes (the last may be shorter). */
async function* pieces(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (let c of source) {
    while (have + c.length >= size) {
      const take = size - have;
      parts.push(c.subarray(0, take));
      yield Buffer.concat(parts);
      c = c.subarray(take);
      parts = [];
      have = 0;
    }
    if (c.length > 0) {
      parts.push(c);
      have += c.length;
    }
  }
  if (have > 0) yield Buffer.concat(parts);
}

/** Deflates pieces as separate gzip members, `parallel` at a time on the thread pool, in order. */
async function* members(
  source: AsyncIterable<Buffer>,
  level: number,
  parallel: number,
): AsyncGenerator<Buffer> {
  const queue: Promise<Buffer>[] = [];
  for await (const piece of source) {
    queue.push(gzipAsync(piece, { level }));
    if (queue.length >= parallel) yield await queue.shift()!;
  }
  while (queue.length > 0) yield await queue.shift()!;
}

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : Number(args.splice(i, 2)[1]);
};
const memberSize = flag('--members');
const level = flag('--level') ?? 6;
const parallel = flag('--parallel') ?? 4;
const [modulePath, out] = args;
if (modulePath === undefined || out === undefined) {
  process.stderr.write('usage: make-bundle MODULE OUT [--members BYTES] [--level N] [--parallel N]\n');
  process.exit(2);
}
if (memberSize === undefined) {
  await pipeline(
    Readable.from(tarStream(modulePath)),
    createGzip({ level, chunkSize: CHUNK, strategy: constants.Z_DEFAULT_STRATEGY }),
    createWriteStream(out),
  );
} else {
  await pipeline(
    Readable.from(members(pieces(tarStream(modulePath), memberSize), level, parallel)),
    createWriteStream(out),
  );
}
