/**
 * Verify-pipeline prototypes: node dist/bench/proto/verify.js VARIANT BUNDLE. Each variant reads the bundle,
 * inflates it, frames the tar and SHA-256s module.wasm, then prints the digest — the byte work of `verify`,
 * without the checks. The variants isolate one cost each (see docs/performance.md, "Where the time goes").
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { BLOCK, parseHeader } from './tar.js';

const MiB = 1 << 20;

/** tar-stream over a gunzip stream: the obvious pipeline. `chunk` sets read and inflate chunk sizes. */
async function viaTarStream(path: string, chunk?: number): Promise<string> {
  const ex = extract();
  let digest = '';
  const consume = (async () => {
    for await (const entry of ex) {
      if (entry.header.name === 'module.wasm') {
        const h = createHash('sha256');
        for await (const c of entry) h.update(c as Buffer);
        digest = h.digest('hex');
      } else {
        for await (const _ of entry);
      }
    }
  })();
  await pipeline(
    createReadStream(path, chunk === undefined ? {} : { highWaterMark: chunk }),
    createGunzip(chunk === undefined ? {} : { chunkSize: chunk }),
    ex,
  );
  await consume;
  return digest;
}

/**
 * A hand-written tar framer fed by 'data' events: header blocks are parsed in place (copied only when they
 * straddle two chunks), entry data is hashed as subarrays of the inflated chunk — no copies of module bytes.
 */
class Framer {
  private pending: Buffer | undefined; // a partial header block
  private left = 0; // data bytes left in the current entry
  private pad = 0; // padding bytes after it
  private hash: ReturnType<typeof createHash> | undefined;
  digest = '';
  ended = false;

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - at);
        this.hash?.update(chunk.subarray(at, at + n));
        this.left -= n;
        at += n;
        if (this.left === 0 && this.hash !== undefined) {
          this.digest = this.hash.digest('hex');
          this.hash = undefined;
        }
      } else if (this.pad > 0) {
        const n = Math.min(this.pad, chunk.length - at);
        this.pad -= n;
        at += n;
      } else if (this.ended) {
        at = chunk.length; // zero padding after the end (a real reader checks it is zero)
      } else {
        let block: Uint8Array;
        if (this.pending === undefined && chunk.length - at >= BLOCK) {
          block = chunk.subarray(at, at + BLOCK);
          at += BLOCK;
        } else {
          const have = this.pending?.length ?? 0;
          const n = Math.min(BLOCK - have, chunk.length - at);
          this.pending = Buffer.concat([this.pending ?? Buffer.alloc(0), chunk.subarray(at, at + n)]);
          at += n;
          if (this.pending.length < BLOCK) return;
          block = this.pending;
          this.pending = undefined;
        }
        const header = parseHeader(block);
        if (header === undefined) {
          this.ended = true;
          continue;
        }
        this.left = header.size;
        this.pad = (BLOCK - (header.size % BLOCK)) % BLOCK;
        this.hash = header.name === 'module.wasm' ? createHash('sha256') : undefined;
      }
    }
  }
}

/** Hand framer over for-await of the gunzip stream. */
async function viaFramerAwait(path: string, chunk: number): Promise<string> {
  const framer = new Framer();
  const gunzip = createGunzip({ chunkSize: chunk });
  const done = pipeline(createReadStream(path, { highWaterMark: chunk }), gunzip);
  for await (const c of gunzip) framer.push(c as Buffer);
  await done;
  return framer.digest;
}

/** Hand framer in a 'data' listener (no promise per chunk). */
async function viaFramerEvents(path: string, chunk: number, inflateChunk = chunk): Promise<string> {
  const framer = new Framer();
  const gunzip = createGunzip({ chunkSize: inflateChunk });
  gunzip.on('data', (c: Buffer) => framer.push(c));
  await pipeline(createReadStream(path, { highWaterMark: chunk }), gunzip);
  return framer.digest;
}

/** Lower bound for Node: inflate only, no hashing, no framing. */
async function inflateOnly(path: string, chunk: number): Promise<string> {
  let n = 0;
  const gunzip = createGunzip({ chunkSize: chunk });
  gunzip.on('data', (c: Buffer) => {
    n += c.length;
  });
  await pipeline(createReadStream(path, { highWaterMark: chunk }), gunzip);
  return String(n);
}

const [variant, path] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: verify.js VARIANT BUNDLE');
const variants: Record<string, () => Promise<string>> = {
  naive: () => viaTarStream(path),
  'tar-stream-1m': () => viaTarStream(path, MiB),
  'hand-await-1m': () => viaFramerAwait(path, MiB),
  'hand-events-64k': () => viaFramerEvents(path, 64 * 1024),
  'hand-events-256k': () => viaFramerEvents(path, 256 * 1024),
  'hand-events-1m': () => viaFramerEvents(path, MiB),
  'hand-events-4m': () => viaFramerEvents(path, 4 * MiB),
  'hand-events-1m-in4m': () => viaFramerEvents(path, MiB, 4 * MiB),
  'inflate-only-1m': () => inflateOnly(path, MiB),
};
const run = variants[variant ?? ''];
if (run === undefined) throw new Error(`unknown variant; one of ${Object.keys(variants).join(', ')}`);
process.stdout.write(`${await run()}\n`);
