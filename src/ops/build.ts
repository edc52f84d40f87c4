/**
 * `build` (SPEC §7): validates manifest.json and, for wasm, the module, then writes the reproducible bundle.
 * The module file is read twice, both times streamed: once for SHA-256, size and the wasm checks, once into
 * the bundle — and the second read must give the same digest, or nothing is written.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { DEFAULT_LIMITS, ENTRY, USTAR_MAX_NUMBER } from '../core/bundle/format.js';
import { type BundleSpec, type WrittenBundle, writeBundle } from '../core/bundle/writer.js';
import { parseManifest } from '../core/manifest.js';
import type { Manifest } from '../core/types.js';
import { checkWasm, nondeterministicImports, WasmScanner } from '../core/wasm.js';
import { AurionError, ioError } from '../errors.js';
import { writeStreamAtomic } from '../io/atomic.js';
import { INPUT_LIMITS, openRegularFile, readSmallFile } from '../io/files.js';

export interface BuildOptions {
  /** The plugin project folder, holding manifest.json. */
  readonly dir: string;
  /** Bundle path; default `<dir>/dist/<name>-<version>.aurion` (the dist folder is created). */
  readonly output?: string | undefined;
  /** mtime of the entries, in seconds (SOURCE_DATE_EPOCH); default 0. */
  readonly sourceDateEpoch?: number | undefined;
  /** Largest module accepted, in bytes (default 512 MiB, the readers' default limit). */
  readonly maxModuleSize?: number | undefined;
  /** Module bytes processed (each of the two reads counts), out of the total. */
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
}

export interface BuildResult {
  /** The bundle's path. */
  readonly bundle: string;
  /** SHA-256 of the bundle file. */
  readonly sha256: string;
  /** Size of the bundle file in bytes. */
  readonly size: number;
  /** The manifest as stored in the bundle. */
  readonly manifest: Manifest;
  /** Non-deterministic WASI functions the module imports (clocks, random); [] for none or a container. */
  readonly nondeterministicImports: readonly string[];
}

const CHUNK = 1024 * 1024;

export async function buildBundle(options: BuildOptions): Promise<BuildResult> {
  const mtime = options.sourceDateEpoch ?? 0;
  if (!Number.isSafeInteger(mtime) || mtime < 0 || mtime > USTAR_MAX_NUMBER) {
    throw new AurionError(
      'USAGE',
      `invalid SOURCE_DATE_EPOCH ${mtime}: expected whole seconds from 0 to ${USTAR_MAX_NUMBER}`,
    );
  }
  const manifestPath = join(options.dir, ENTRY.manifest);
  const manifest = parseManifest(await readManifestFile(manifestPath), { source: manifestPath });
  const output = options.output ?? join(options.dir, 'dist', `${manifest.name}-${manifest.version}.aurion`);

  let bundleManifest: Record<string, unknown> = { ...manifest };
  let module: BundleSpec['module'];
  let checkSecondRead = () => {};
  let nondeterministic: readonly string[] = [];
  if (manifest.runtime === 'wasm') {
    const modulePath = resolve(options.dir, manifest.module!.path);
    const first = await hashAndCheckModule(modulePath, manifest, options);
    nondeterministic = first.nondeterministicImports;
    // Spread keeps key order: `module` stays where the author put it.
    bundleManifest = { ...manifest, module: { path: ENTRY.module, sha256: first.sha256, size: first.size } };
    const again = createHash('sha256');
    module = {
      size: first.size,
      open: () => Readable.from(secondRead(modulePath, again, first.size, options.onProgress)),
    };
    checkSecondRead = () => {
      if (again.digest('hex') !== first.sha256) {
        throw new AurionError('IO_ERROR', `${modulePath} changed while the bundle was written`, {
          hint: 'make sure nothing modifies the module while aurion-plugin builds, then try again',
        });
      }
    };
  }

  const manifestBytes = Buffer.from(`${JSON.stringify(bundleManifest, null, 2)}\n`);
  if (manifestBytes.length > DEFAULT_LIMITS.manifest) {
    throw new AurionError(
      'MANIFEST_INVALID',
      `invalid manifest ${manifestPath}: it is ${manifestBytes.length} bytes in the bundle, more than the limit of ${DEFAULT_LIMITS.manifest}`,
      { hint: 'shorten manifest.json (descriptions, x- extension keys)' },
    );
  }
  // The bytes the bundle will hold go through the readers' own check, so build never writes what they refuse.
  const stored = parseManifest(manifestBytes, { source: `${output}:${ENTRY.manifest}`, inBundle: true });

  if (options.output === undefined) {
    try {
      await mkdir(dirname(output), { recursive: true });
    } catch (e) {
      throw ioError(dirname(output), 'create', e);
    }
  }
  let written: WrittenBundle | undefined;
  await writeStreamAtomic(output, async (out) => {
    written = await writeBundle(out, { manifestBytes, mtime, ...(module === undefined ? {} : { module }) });
    checkSecondRead();
  });
  return {
    bundle: output,
    sha256: written!.sha256,
    size: written!.size,
    manifest: stored,
    nondeterministicImports: nondeterministic,
  };
}

/** Opening flags of module reads: a FIFO swapped in for the module must not block the open. */
const READ_NONBLOCK = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

async function readManifestFile(path: string): Promise<Buffer> {
  try {
    return await readSmallFile(path, 'manifest', INPUT_LIMITS.manifest);
  } catch (e) {
    if (e instanceof AurionError && e.code === 'IO_ERROR' && /no such file/.test(e.message)) {
      throw new AurionError('IO_ERROR', e.message, {
        hint: `run 'aurion-plugin init ${dirname(path)}' to create one, or give the plugin's folder`,
      });
    }
    throw e;
  }
}

/** The first read: SHA-256, size and the wasm scanner in one pass; then the build-time module checks. */
async function hashAndCheckModule(
  path: string,
  manifest: Manifest,
  options: BuildOptions,
): Promise<{ sha256: string; size: number; nondeterministicImports: string[] }> {
  const limit = options.maxModuleSize ?? DEFAULT_LIMITS.module;
  let handle: Awaited<ReturnType<typeof open>>;
  let expected: number;
  try {
    // Non-blocking only so that a FIFO is refused below instead of waiting for a writer (SPEC §2).
    handle = await open(path, READ_NONBLOCK);
  } catch (e) {
    throw moduleIoError(path, e);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile())
      throw moduleIoError(path, Object.assign(new Error('not a regular file'), { code: 'EISDIR' }));
    expected = st.size;
  } catch (e) {
    await handle.close();
    throw e instanceof AurionError ? e : moduleIoError(path, e);
  }
  if (expected > limit) {
    await handle.close();
    throw new AurionError(
      'BUNDLE_INVALID',
      `module ${path} is ${expected} bytes, more than the limit of ${limit} for ${ENTRY.module}`,
      { hint: 'if the module really is that large, raise the limit with --max-module-size (e.g. 1GiB)' },
    );
  }
  const hash = createHash('sha256');
  const scanner = new WasmScanner({ source: path });
  let size = 0;
  const stream = handle.createReadStream({ highWaterMark: CHUNK });
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      scanner.push(bytes);
      size += bytes.length;
      options.onProgress?.(size, 2 * expected);
    }
  } catch (e) {
    stream.destroy();
    if (e instanceof AurionError) throw e;
    throw moduleIoError(path, e);
  }
  if (size !== expected) {
    throw new AurionError('IO_ERROR', `${path} changed while it was read`, {
      hint: 'make sure nothing modifies the module while aurion-plugin builds, then try again',
    });
  }
  const info = scanner.finish();
  checkWasm(info, manifest, path);
  const sha256 = hash.digest('hex');
  const declared = manifest.module!;
  // A source manifest may pin the module it expects; a different file is a mismatch, not a silent update.
  if (
    (declared.sha256 !== undefined && declared.sha256 !== sha256) ||
    (declared.size !== undefined && declared.size !== size)
  ) {
    throw new AurionError(
      'DIGEST_MISMATCH',
      `module ${path} does not match manifest.json: it is ${size} bytes with sha256 ${sha256}, the manifest says ` +
        `${declared.size ?? '(any size)'} bytes with sha256 ${declared.sha256 ?? '(any)'}`,
      {
        hint: 'rebuild the module, or remove module.sha256/module.size from manifest.json to accept this one',
      },
    );
  }
  return { sha256, size, nondeterministicImports: nondeterministicImports(info) };
}

/** The second read, straight into the bundle; hashed on the way to prove it is the file the first read checked. */
async function* secondRead(
  path: string,
  hash: ReturnType<typeof createHash>,
  size: number,
  onProgress: BuildOptions['onProgress'],
): AsyncGenerator<Buffer> {
  let done = 0;
  // A regular file again (never a FIFO swapped in since the first read); the stream closes the descriptor.
  const { fd } = await openRegularFile(path, 'module');
  const stream = createReadStream(path, { fd, highWaterMark: CHUNK });
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      done += bytes.length;
      onProgress?.(size + Math.min(done, size), 2 * size);
      yield bytes;
    }
  } catch (e) {
    throw moduleIoError(path, e);
  } finally {
    stream.destroy();
  }
}

function moduleIoError(path: string, cause: unknown): AurionError {
  const err = ioError(path, 'read module', cause);
  return new AurionError('IO_ERROR', err.message, {
    hint: "compile the module first, or fix module.path in manifest.json (it is relative to the plugin's folder)",
    cause,
  });
}
