/**
 * The bundle's entry rules (SPEC §4): which names a bundle may hold, each entry's size limit, that every entry
 * is a regular file seen once, which entries each runtime needs or forbids; then the manifest's own checks.
 * The reader (./reader.ts) feeds it each tar entry as the parser reports it.
 */
import { createHash, type Hash, hash } from 'node:crypto';
import { AurionError } from '../../errors.js';
import { parseManifest } from '../manifest.js';
import type { Manifest } from '../types.js';
import { DEFAULT_LIMITS, describeName, ENTRY, type EntryName } from './format.js';
import type { TarEntry } from './tar.js';

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

/** What each entry name may hold: its size limit and where its bytes go. */
type Slot = 'manifest' | 'module' | 'ed25519' | 'asc';
const SLOT_OF: ReadonlyMap<string, Slot> = new Map<EntryName, Slot>([
  [ENTRY.manifest, 'manifest'],
  [ENTRY.module, 'module'],
  [ENTRY.ed25519, 'ed25519'],
  [ENTRY.asc, 'asc'],
]);

/** The bundle rules applied to each tar entry as the parser reports it. */
export class BundlePolicy {
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
