/**
 * The one bundle reader (SPEC §4). Every command that opens a bundle goes through readBundle: file ->
 * gunzip -> strict tar parser -> bundle policy, in one streaming pass. The module is hashed as it is inflated
 * and never held whole; small entries are collected up to their limits, which are checked from the tar header
 * before any data is read. Nothing is ever written to disk.
 */
import { createHash, type Hash, hash } from 'node:crypto';
import { closeSync, constants, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip, gunzipSync, type ZlibOptions } from 'node:zlib';
import { AurionError, ioError } from '../../errors.js';
import { parseManifest } from '../manifest.js';
import type { Manifest } from '../types.js';
import { DEFAULT_LIMITS, describeName, ENTRY, type EntryName } from './format.js';
import { type TarEntry, TarParser } from './tar.js';

export interface ReadBundleOptions {
  /** Largest module.wasm accepted, in bytes (default 512 MiB). */
  readonly maxModuleSize?: number;
  /** Receives module.wasm as it is inflated, e.g. a WasmScanner. Chunks are not reused by the reader. */
  readonly onModuleChunk?: (chunk: Uint8Array) => void;
  /** Compressed bytes read so far, out of the file size. */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Also compute the SHA-256 of the bundle file itself (registries). */
  readonly hashBundle?: boolean;
}

export interface BundleContents {
  /** The path the bundle was read from, for messages. */
  readonly path: string;
  /** Size of the bundle file in bytes. */
  readonly size: number;
  /** SHA-256 of the bundle file, when `hashBundle` was asked for. */
  readonly sha256?: string;
  /** manifest.json exactly as stored. */
  readonly manifestBytes: Buffer;
  /** The manifest, validated against the in-bundle schema. */
  readonly manifest: Manifest;
  /** SHA-256 and size of module.wasm computed from its data (wasm bundles). */
  readonly module?: { readonly sha256: string; readonly size: number };
  readonly signatureEd25519?: Buffer;
  readonly signatureAsc?: Buffer;
  /** mtime of the manifest.json entry (seconds), kept when the bundle is rewritten. */
  readonly mtime: number;
}

/** 1 MiB reads and inflate chunks: few callbacks per MiB, which is what keeps hashing near zlib's own speed. */
const CHUNK = 1024 * 1024;

/**
 * A bundle file up to this size is read with one call and inflated with one zlib call, synchronously, to at
 * most SMALL_INFLATED bytes: a stream and its thread-pool round trips cost more than such a bundle costs to
 * read and inflate (tens of microseconds), which is what a batch of many small bundles pays for
 * (docs/performance.md). Anything else — a larger output, any zlib error — goes through the streaming path
 * below, from the bytes already read, so every rule and message is the streaming path's.
 */
const SMALL_FILE = 256 * 1024;
const SMALL_INFLATED = 4 * 1024 * 1024;

/** The inflated bytes and the input consumed (where the last gzip member ends), or undefined on any error. */
function gunzipWhole(input: Buffer): { buffer: Buffer; consumed: number } | undefined {
  // One output chunk for the whole result where possible. The gzip trailer's ISIZE (uncompressed size mod 2^32
  // of the last member) is a hint only, clamped.
  const isize = input.length >= 4 ? input.readUInt32LE(input.length - 4) : 0;
  const chunkSize = Math.min(SMALL_INFLATED, Math.max(16 * 1024, isize + 1));
  try {
    // `info` hands back zlib's engine too, whose bytesWritten is the input it consumed.
    const result = gunzipSync(input, {
      info: true,
      maxOutputLength: SMALL_INFLATED,
      chunkSize,
    } as ZlibOptions);
    const { buffer, engine } = result as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    return { buffer, consumed: engine.bytesWritten };
  } catch {
    return undefined;
  }
}

/**
 * Where small bundle files are read: one buffer for the process, since a file's bytes are needed only until
 * they are inflated, synchronously, with nothing else running in between (no allocation per bundle of a
 * batch). Whatever must outlive that — the streaming fallback below — takes a copy.
 */
let scratch: Buffer | undefined;

/** Reads a whole small file (one byte more than expected, to notice growth) into `scratch`; closes it. */
function readWhole(fd: number, size: number): Buffer {
  try {
    scratch ??= Buffer.allocUnsafeSlow(SMALL_FILE + 1);
    const buffer = scratch.subarray(0, size + 1);
    let filled = 0;
    for (;;) {
      const wanted = buffer.length - filled;
      const bytesRead = readSync(fd, buffer, filled, wanted, filled);
      filled += bytesRead;
      // A regular file reads short only at its end, so a short read needs no second call to find it.
      if (bytesRead === 0 || bytesRead < wanted) break;
      if (filled === buffer.length) break;
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

/** Where the reader sends module.wasm (rewriteBundle streams it into a new bundle). */
export type ModuleSink = (chunk: Buffer) => void | Promise<void>;

/** Reads and checks a bundle; see the module comment. IO_ERROR, BUNDLE_INVALID or MANIFEST_INVALID. */
export function readBundle(path: string, options: ReadBundleOptions = {}): Promise<BundleContents> {
  return scanBundle(path, options);
}

/**
 * readBundle with one more hook: `moduleSink` gets every module chunk and may return a promise, which the
 * reader awaits before inflating more (backpressure for rewriteBundle). Internal to src/core/bundle/.
 */
export async function scanBundle(
  path: string,
  options: ReadBundleOptions,
  moduleSink?: ModuleSink,
): Promise<BundleContents> {
  const where = `malformed bundle ${path}`;
  const invalid = (message: string) =>
    new AurionError('BUNDLE_INVALID', `${where}: ${message}`, {
      hint: 'the bundle is damaged or was not made by aurion-plugin; rebuild it with `aurion-plugin build`',
    });

  let fd: number;
  let fileSize: number;
  try {
    // Non-blocking only so that a FIFO is refused below instead of waiting for a writer; no effect on files.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw ioError(path, 'read bundle', e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new AurionError('IO_ERROR', `cannot read bundle ${path}: not a regular file`);
    }
    fileSize = st.size;
  } catch (e) {
    closeSync(fd);
    if (e instanceof AurionError) throw e;
    throw ioError(path, 'read bundle', e);
  }

  const policy = new BundlePolicy(where, invalid, options, moduleSink !== undefined);
  const parser = new TarParser(where, policy);
  const changed = () =>
    new AurionError('IO_ERROR', `cannot read bundle ${path}: the file changed while it was read`);
  let whole: Buffer | undefined;
  if (moduleSink === undefined && fileSize <= SMALL_FILE) {
    try {
      whole = readWhole(fd, fileSize);
    } catch (e) {
      throw ioError(path, 'read bundle', e);
    }
    if (whole.length !== fileSize) throw changed();
    const inflated = gunzipWhole(whole);
    if (inflated !== undefined) {
      options.onProgress?.(fileSize, fileSize);
      parser.push(inflated.buffer);
      // zlib stops at the end of the last gzip member and silently drops what follows; catch it here.
      if (inflated.consumed < fileSize) {
        throw invalid(`there is data after the end of the gzip data (at byte ${inflated.consumed})`);
      }
      parser.finish();
      const digest =
        options.hashBundle === true ? createHash('sha256').update(whole).digest('hex') : undefined;
      return policy.contents(path, fileSize, digest);
    }
  }
  // The stream owns the file descriptor from here on and closes it when it ends or is destroyed (a small
  // bundle that took this path streams from a copy of the bytes already read: `scratch` is reused).
  const file: Readable =
    whole === undefined
      ? createReadStream(path, { fd, highWaterMark: CHUNK })
      : Readable.from([Buffer.from(whole)]);
  const gunzip = createGunzip({ chunkSize: CHUNK });
  const bundleHash = options.hashBundle === true ? createHash('sha256') : undefined;
  let bytesRead = 0;
  let firstBytes: Buffer | undefined;
  let readError: unknown;
  let fileEnded = false;
  // A second 'data' listener sees the same chunks pipe() hands to gunzip: counting and hashing for free.
  file.on('data', (chunk) => {
    const bytes = chunk as Buffer;
    firstBytes ??= Buffer.from(bytes.subarray(0, 2));
    bytesRead += bytes.length;
    bundleHash?.update(bytes);
    options.onProgress?.(bytesRead, fileSize);
  });
  file.on('error', (e) => {
    readError = e;
    gunzip.destroy(e);
  });
  // Errors after the loop stopped (a write after gunzip ended early) must not go unhandled.
  gunzip.on('error', () => {});
  file.pipe(gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      parser.push(chunk);
      if (moduleSink !== undefined) {
        for (const piece of policy.takeModuleChunks()) await moduleSink(piece);
      }
    }
  } catch (e) {
    if (e instanceof AurionError) throw e;
    if (readError !== undefined) throw ioError(path, 'read bundle', readError);
    throw gzipError(e, invalid, bytesRead, firstBytes);
  } finally {
    fileEnded = file.readableEnded;
    file.unpipe(gunzip);
    gunzip.destroy();
    file.destroy();
    await finished(file).catch(() => {});
  }
  if (fileEnded && bytesRead !== fileSize) throw changed();
  // zlib stops at the end of the last gzip member and silently drops what follows; catch it here.
  if (gunzip.bytesWritten < fileSize) {
    throw invalid(`there is data after the end of the gzip data (at byte ${gunzip.bytesWritten})`);
  }
  if (gunzip.bytesWritten !== fileSize) throw changed();
  parser.finish();
  return policy.contents(path, fileSize, bundleHash?.digest('hex'));
}

/** Turns a zlib failure into a readable BUNDLE_INVALID. */
function gzipError(
  e: unknown,
  invalid: (message: string) => AurionError,
  bytesRead: number,
  firstBytes: Buffer | undefined,
): AurionError {
  const err = e as NodeJS.ErrnoException;
  if (bytesRead === 0) return invalid('the file is empty');
  if (
    firstBytes !== undefined &&
    (firstBytes[0] !== 0x1f || (firstBytes.length > 1 && firstBytes[1] !== 0x8b))
  ) {
    return invalid('the file is not gzip data');
  }
  if (err.code === 'Z_BUF_ERROR') return invalid('the gzip data is truncated');
  // The file starts with the gzip magic, so a bad magic is in what follows a member: zlib takes any non-zero
  // byte after a member for the start of another one (zero bytes make it stop; scanBundle catches those).
  if (/incorrect header check/.test(err.message)) {
    return invalid('there is data after the end of the gzip data that is not another gzip member');
  }
  if (typeof err.code === 'string' && err.code.startsWith('Z_')) {
    return invalid(`the gzip data is corrupt (zlib: ${err.message})`);
  }
  return new AurionError('INTERNAL', `reading the bundle failed: ${err.message}`, { cause: e });
}

/** What each entry name may hold: its size limit and where its bytes go. */
type Slot = 'manifest' | 'module' | 'ed25519' | 'asc';
const SLOT_OF: ReadonlyMap<string, Slot> = new Map<EntryName, Slot>([
  [ENTRY.manifest, 'manifest'],
  [ENTRY.module, 'module'],
  [ENTRY.ed25519, 'ed25519'],
  [ENTRY.asc, 'asc'],
]);

/** The bundle rules applied to each tar entry as the parser reports it. */
class BundlePolicy {
  private readonly maxModuleSize: number;
  /** Small entries as the parser hands them over: usually one piece (a view of the inflated data, no copy). */
  private readonly small = new Map<Slot, { pieces: Buffer[]; mtime: number }>();
  /** Whether module.wasm was seen, and its digest: streamed (`Hash`), or computed at once (a hex string). */
  private hasModule = false;
  private moduleHash: Hash | string | undefined;
  private moduleSize = 0;
  private slot: Slot | undefined;
  private pending: Buffer[] = [];

  constructor(
    private readonly where: string,
    private readonly invalid: (message: string) => AurionError,
    private readonly options: ReadBundleOptions,
    private readonly queueModule: boolean,
  ) {
    this.maxModuleSize = options.maxModuleSize ?? DEFAULT_LIMITS.module;
  }

  entry(e: TarEntry): void {
    const slot = SLOT_OF.get(e.name);
    const what = e.kind === 'file' ? 'file' : e.kind;
    if (slot === undefined) {
      throw this.invalid(
        `unexpected tar entry ${describeName(e.name)} (${what}); a bundle holds only ` +
          `${Object.values(ENTRY).join(', ')}`,
      );
    }
    if (e.kind !== 'file') throw this.invalid(`tar entry ${e.name} is a ${e.kind}, not a regular file`);
    if (this.small.has(slot) || (slot === 'module' && this.hasModule)) {
      throw this.invalid(`duplicate tar entry ${e.name}`);
    }
    const limit =
      slot === 'manifest'
        ? DEFAULT_LIMITS.manifest
        : slot === 'module'
          ? this.maxModuleSize
          : DEFAULT_LIMITS.signature;
    if (e.size > limit) {
      throw new AurionError(
        'BUNDLE_INVALID',
        `${this.where}: tar entry ${e.name} is ${e.size} bytes, more than the limit of ${limit}`,
        slot === 'module'
          ? { hint: 'if the module really is that large, raise the limit with --max-module-size (e.g. 1GiB)' }
          : {},
      );
    }
    this.slot = slot;
    if (slot === 'module') {
      this.hasModule = true;
      this.moduleSize = e.size;
    } else {
      this.small.set(slot, { pieces: [], mtime: e.mtime });
    }
  }

  data(chunk: Buffer): void {
    if (this.slot === 'module') {
      if (this.moduleHash === undefined && chunk.length === this.moduleSize) {
        // The whole module in one piece (a small bundle, inflated at once): one-shot, no Hash object.
        this.moduleHash = hash('sha256', chunk, 'hex');
      } else {
        this.moduleHash ??= createHash('sha256');
        (this.moduleHash as Hash).update(chunk);
      }
      this.options.onModuleChunk?.(chunk);
      if (this.queueModule) this.pending.push(chunk);
    } else {
      // Inflated chunks are never reused or written to, so keeping views of them is safe.
      this.small.get(this.slot!)!.pieces.push(chunk);
    }
  }

  entryEnd(): void {
    this.slot = undefined;
  }

  /** The module's SHA-256 (hex); an empty module has had no data at all. */
  private moduleDigest(): string {
    const h = this.moduleHash ?? createHash('sha256');
    return typeof h === 'string' ? h : h.digest('hex');
  }

  /** Module chunks delivered since the last call (only collected for a module sink). */
  takeModuleChunks(): Buffer[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }

  /** The checks that need every entry: presence by runtime, then the manifest's content. */
  contents(path: string, size: number, sha256: string | undefined): BundleContents {
    const bytesOf = (slot: Slot) => {
      const pieces = this.small.get(slot)?.pieces;
      if (pieces === undefined) return undefined;
      return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    };
    const manifestBytes = bytesOf('manifest');
    if (manifestBytes === undefined) throw this.invalid(`there is no ${ENTRY.manifest} entry`);
    // Archive problems come first: a manifest inside a malformed archive is not worth validating.
    const manifest = parseManifest(manifestBytes, {
      source: `${path}:${ENTRY.manifest}`,
      inBundle: true,
    });
    const hasModule = this.hasModule;
    if (manifest.runtime === 'container' && hasModule) {
      throw this.invalid(`tar entry ${ENTRY.module} is not allowed in a container bundle`);
    }
    if (manifest.runtime === 'wasm' && !hasModule) {
      throw this.invalid(`there is no ${ENTRY.module} entry, which a wasm bundle needs`);
    }
    if (manifest.runtime === 'wasm' && this.small.has('asc')) {
      throw this.invalid(
        `tar entry ${ENTRY.asc} is not allowed in a wasm bundle (wasm bundles are signed with Ed25519 only)`,
      );
    }
    const ed25519 = bytesOf('ed25519');
    const asc = bytesOf('asc');
    return {
      path,
      size,
      ...(sha256 === undefined ? {} : { sha256 }),
      manifestBytes,
      manifest,
      ...(hasModule ? { module: { sha256: this.moduleDigest(), size: this.moduleSize } } : {}),
      ...(ed25519 === undefined ? {} : { signatureEd25519: ed25519 }),
      ...(asc === undefined ? {} : { signatureAsc: asc }),
      mtime: this.small.get('manifest')!.mtime,
    };
  }
}

/**
 * Compares module.wasm as read with what the manifest records (DIGEST_MISMATCH, exit 1). Separate from
 * readBundle so that inspect can show a tampered bundle; verify and sign call it.
 */
export function checkModuleDigest(bundle: BundleContents): void {
  const declared = bundle.manifest.module;
  const actual = bundle.module;
  if (bundle.manifest.runtime !== 'wasm' || declared === undefined || actual === undefined) return;
  const problems: string[] = [];
  if (declared.sha256 !== actual.sha256) {
    problems.push(`its sha256 is ${actual.sha256}, the manifest says ${declared.sha256}`);
  }
  if (declared.size !== actual.size) {
    problems.push(`its size is ${actual.size} bytes, the manifest says ${declared.size}`);
  }
  if (problems.length > 0) {
    throw new AurionError(
      'DIGEST_MISMATCH',
      `${ENTRY.module} in ${bundle.path} does not match its manifest: ${problems.join('; ')}`,
      { hint: 'the bundle was modified after it was built; rebuild it from its sources' },
    );
  }
}
