/**
 * The directory registry (SPEC §7): `plugins/<name>/<name>-<version>.aurion` plus `index.json`, the single
 * source of truth. A bundle file counts as published only once the index names it with its digest.
 *
 * Publishing, step by step, and why a crash at any point leaves the registry as it was:
 * 1. The bundle is copied to a temporary file in the registry folder (hashed on the way and compared with
 *    the digest that was verified, so a file swapped after verification is caught). No lock is held yet.
 * 2. The index lock is taken (see lock.ts). The index is read again under the lock: the same digest is a no-op,
 *    another one VERSION_EXISTS. (The parse of the look before step 1 is reused only for the same bytes.)
 * 3. Leftovers of crashed publishes are removed: temporary files of dead processes of this host, break files
 *    of dead breakers, and bundle files the index does not name (a crash between steps 4 and 5).
 * 4. The bundle is renamed to its place (after fsync), then
 * 5. the new index is written to a temporary file, fsynced and renamed over index.json. This rename is the
 *    commit point: before it the old index holds and the bundle is an orphan step 3 will remove; after it the
 *    version is published.
 * 6. The lock is released. SIGINT/SIGTERM/SIGHUP remove this process's temporary and lock files; after SIGKILL
 *    the next publish removes them (3) and breaks the stale lock.
 */
import { createReadStream, type Dirent } from 'node:fs';
import { lstat, mkdir, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { decodeUtf8, JsonParseError, parseJson } from '../core/json.js';
import { schemaIssues } from '../core/schema.js';
import type { Capability, RiskClass } from '../core/types.js';
import { AurionError, ioError } from '../errors.js';
import { registryIndex } from '../generated/validators.js';
import { INPUT_LIMITS, isMissing, openRegularFile, readSmallFileIfExists } from '../io/files.js';
import {
  acquireLock,
  describeOwner,
  isBreakFileOf,
  isStale,
  type LockOptions,
  lockedHint,
  readOwner,
} from '../io/lock.js';
import { isValidIndexFast } from './index-shape.js';
import { PLUGIN_NAME, SEMVER } from './reference.js';
import { disown, own, ownerIsDead, syncDir, tempName, tempOwner } from './scratch.js';
import { copyToNewFile } from './transfer.js';

export const INDEX_FILE = 'index.json';
export const TRUST_POLICY_FILE = 'trust-policy.json';
export const PLUGINS_DIR = 'plugins';
export const LOCK_FILE = '.index.lock';
/** A signed registry's TUF metadata (SPEC §11), beside index.json. */
export const METADATA_DIR = 'metadata';

export interface IndexEntry {
  readonly sha256: string;
  readonly size: number;
  readonly risk_class: RiskClass;
  readonly capabilities: readonly Capability[];
  readonly runtime: 'wasm' | 'container';
  readonly key_id?: string;
  readonly fingerprint?: string;
  /** ISO 8601 UTC, whole seconds: 2026-11-27T10:00:00Z. */
  readonly published_at: string;
  /** SPEC §11: yanked — kept on disk, no longer resolved, listed or signed. */
  readonly yanked?: true;
}

export interface RegistryIndex {
  readonly schema_version: 1;
  readonly plugins: Readonly<Record<string, Readonly<Record<string, IndexEntry>>>>;
}

/** What a publish records, apart from the time. */
export type NewEntry = Omit<IndexEntry, 'published_at'> & { readonly name: string; readonly version: string };

export interface DirectoryPublishResult {
  /** false: this exact bundle was already published; nothing changed. */
  readonly changed: boolean;
  /** Where the bundle is stored. */
  readonly path: string;
  readonly entry: IndexEntry;
}

/**
 * Runs under the index lock after everything else of a change is in place and before index.json is replaced
 * (the commit point), with the index about to be committed: the registry's signed metadata is written here, so
 * that a crash leaves either the old index or metadata that already covers the new one.
 */
export type BeforeCommit = (next: RegistryIndex) => Promise<void>;

export interface DirectoryRegistryOptions {
  /** How long to wait for another publisher's lock (default 60 s). */
  readonly lockTimeoutMs?: number;
}

/**
 * Whether the registry at `root` is signed: its `metadata/` exists (anything there counts, so that a damaged
 * one fails the TUF code instead of being written over). Here rather than in tuf-repo.ts, so that asking does
 * not load the TUF libraries.
 */
export async function isSignedRegistry(root: string): Promise<boolean> {
  const dir = join(root, METADATA_DIR);
  try {
    await lstat(dir);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw ioError(dir, 'open registry metadata', e);
  }
}

/** `<name>-<version>.aurion`, the bundle file name everywhere (build output, registry, pull default). */
export function bundleFileName(name: string, version: string): string {
  return `${name}-${version}.aurion`;
}

/** ISO 8601 UTC to the second, as the index records times. */
export function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** SemVer 2.0.0 precedence (build metadata ignored, then compared as text so the order is total). */
export function compareVersions(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  const pb = SEMVER.exec(b);
  if (pa === null || pb === null) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const preA = pa[4];
  const preB = pb[4];
  if (preA !== preB) {
    if (preA === undefined) return 1;
    if (preB === undefined) return -1;
    const xs = preA.split('.');
    const ys = preB.split('.');
    for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
      const x = xs[i];
      const y = ys[i];
      if (x === undefined) return -1;
      if (y === undefined) return 1;
      if (x === y) continue;
      const nx = /^\d+$/.test(x);
      const ny = /^\d+$/.test(y);
      if (nx && ny) return Math.sign(Number(x) - Number(y)) || (x < y ? -1 : 1);
      if (nx) return -1;
      if (ny) return 1;
      return x < y ? -1 : 1;
    }
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Decodes and validates the bytes of an index.json (`path` names it in messages): REGISTRY_ERROR when they are
 * not UTF-8 JSON that the registry-index schema accepts. Pure, so the fuzzing harness can feed it directly.
 */
export function parseRegistryIndex(bytes: Uint8Array, path: string): RegistryIndex {
  let value: unknown;
  try {
    value = parseJson(decodeUtf8(bytes));
  } catch (e) {
    const why = e instanceof JsonParseError ? e.message : 'it is not valid UTF-8';
    throw corruptIndex(path, why);
  }
  // The schema validator judges whatever the fast check does not accept (index-shape.ts).
  const issues = isValidIndexFast(value) ? [] : schemaIssues(registryIndex, value);
  if (issues.length > 0) {
    const first = issues[0]!;
    throw new AurionError(
      'REGISTRY_ERROR',
      `registry index ${path} is invalid: ${first.at === '' ? '' : `${first.at} `}${first.message}`,
      {
        issues: issues.length > 1 ? issues : [],
        hint: 'repair index.json (schemas/registry-index.schema.json) or restore it from a backup',
      },
    );
  }
  return value as RegistryIndex;
}

export class DirectoryRegistry {
  readonly root: string;
  private readonly lockTimeoutMs: number | undefined;

  constructor(root: string, options: DirectoryRegistryOptions = {}) {
    this.root = resolve(root);
    this.lockTimeoutMs = options.lockTimeoutMs;
  }

  get indexPath(): string {
    return join(this.root, INDEX_FILE);
  }

  /** The registry's own trust policy; publish enforces it whenever the file exists. */
  get trustPolicyPath(): string {
    return join(this.root, TRUST_POLICY_FILE);
  }

  get lockPath(): string {
    return join(this.root, LOCK_FILE);
  }

  /** The index lock: owner records under the registry's scratch names, which its clean-up knows. */
  private lockOptions(): LockOptions {
    return {
      timeoutMs: this.lockTimeoutMs,
      tempPath: (lockPath) => tempName(dirname(lockPath)),
      lockedError: (lockPath, owner) =>
        new AurionError('REGISTRY_ERROR', `registry is locked by ${describeOwner(owner)} (${lockPath})`, {
          hint: lockedHint(lockPath, owner, 'publish'),
        }),
    };
  }

  bundlePath(name: string, version: string): string {
    return join(this.root, PLUGINS_DIR, name, bundleFileName(name, version));
  }

  /** True when the registry folder exists (it may still be empty: no index yet). */
  async exists(): Promise<boolean> {
    try {
      return (await stat(this.root)).isDirectory();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw ioError(this.root, 'open registry', e);
    }
  }

  /**
   * Reads and validates index.json; a registry without one is empty. A link is followed, but what it leads to
   * must be a regular file of at most 64 MiB (IO_ERROR otherwise, at once: a FIFO or device never hangs a
   * reader); a dangling link is IO_ERROR, not an empty registry.
   */
  async readIndex(): Promise<RegistryIndex> {
    return (await this.readIndexFile()).index;
  }

  /**
   * index.json's bytes (undefined: there is none) and the index they hold. `earlier` is a read made before the
   * lock was taken, for a change made under it: its index is reused only when index.json holds the same bytes
   * now, so a change another publisher committed in between is never lost. That is sound because the index is a
   * function of the bytes alone (parseRegistryIndex is pure) and is never modified once parsed (a change builds
   * a new one); it spares a second parse and validation of a large index (docs/performance.md, P9).
   */
  private async readIndexFile(earlier?: IndexFile): Promise<IndexFile> {
    const bytes = await readSmallFileIfExists(this.indexPath, 'registry index', INPUT_LIMITS.registryIndex);
    if (earlier !== undefined && sameBytes(earlier.bytes, bytes)) return earlier;
    return { bytes, index: bytes === undefined ? emptyIndex() : parseRegistryIndex(bytes, this.indexPath) };
  }

  /** The index entry of one version: NOT_FOUND (with the versions that do exist) when there is none. */
  async find(name: string, version: string): Promise<{ entry: IndexEntry; path: string }> {
    if (!(await this.exists())) {
      throw new AurionError('REGISTRY_ERROR', `no directory registry at ${this.root}`, {
        hint: 'check the --registry path; a registry is created by the first publish',
      });
    }
    const index = await this.readIndex();
    const versions = ownEntry(index.plugins, name);
    const entry = versions === undefined ? undefined : ownEntry(versions, version);
    if (entry?.yanked === true) throw yankedError(name, version, this.root);
    if (entry === undefined) {
      const known =
        versions === undefined
          ? []
          : Object.keys(versions)
              .filter((v) => versions[v]?.yanked !== true)
              .sort(compareVersions);
      throw new AurionError(
        'NOT_FOUND',
        versions === undefined
          ? `no plugin ${name} in registry ${this.root}`
          : `no version ${version} of ${name} in registry ${this.root}`,
        {
          hint:
            known.length > 0
              ? `published versions of ${name}: ${known.join(', ')}`
              : 'check the name and version, or publish it first',
        },
      );
    }
    return { entry, path: this.bundlePath(name, version) };
  }

  /** The stored bundle's bytes, for a digest-checked copy. REGISTRY_ERROR when the indexed file is missing. */
  async openBundle(
    name: string,
    version: string,
  ): Promise<{ entry: IndexEntry; stream: AsyncIterable<Buffer> }> {
    const { entry } = await this.find(name, version);
    return { entry, stream: await this.openStoredBundle(name, version) };
  }

  /**
   * The bytes of a version the caller found in an index it read (a pull resolves and fetches against one read
   * of the index, and checks the copy against the digest that read recorded): the index is not read again.
   * REGISTRY_ERROR when the file is missing.
   */
  async openStoredBundle(name: string, version: string): Promise<AsyncIterable<Buffer>> {
    const path = this.bundlePath(name, version);
    await this.assertRealDirectory(join(this.root, PLUGINS_DIR));
    await this.assertRealDirectory(join(this.root, PLUGINS_DIR, name));
    let fd: number;
    try {
      ({ fd } = await openRegularFile(path, 'stored bundle'));
    } catch (e) {
      if (!isMissing(e)) throw e;
      throw new AurionError(
        'REGISTRY_ERROR',
        `registry ${this.root} lists ${name}@${version} but ${path} is missing`,
        { hint: 'the registry is damaged; ask its operator to re-publish that version' },
      );
    }
    // The stream owns the descriptor and closes it when it ends or is destroyed.
    return createReadStream(path, { fd, highWaterMark: 1 << 20 });
  }

  /**
   * SPEC §7: `plugins/` and `plugins/<name>` are real directories, never symbolic links (nor anything else), so
   * that nothing is written, read or deleted outside the registry through them. A missing one is fine here:
   * publish creates it, pull reports the missing bundle.
   */
  private async assertRealDirectory(dir: string): Promise<void> {
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw ioError(dir, 'open registry folder', e);
    }
    if (st.isDirectory()) return;
    throw new AurionError(
      'REGISTRY_ERROR',
      `registry ${this.root} is damaged: ${dir} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}; ` +
        'plugins/ and plugins/<name> must be real directories (nothing was written or deleted)',
      {
        hint: `the registry operator should replace ${dir} by a real directory holding its bundles`,
      },
    );
  }

  /**
   * Stores a verified bundle file. `bundle` must be the digest that was verified: the copy is checked against
   * it. Same digest already published: no-op; another digest for that name and version: VERSION_EXISTS.
   */
  async publish(
    source: string,
    bundle: NewEntry,
    options: { now?: Date; onProgress?: (done: number) => void; beforeCommit?: BeforeCommit } = {},
  ): Promise<DirectoryPublishResult> {
    const { name, version, ...rest } = bundle;
    if (!PLUGIN_NAME.test(name) || !SEMVER.test(version)) {
      throw new AurionError('USAGE', `invalid plugin name or version: ${name}@${version}`);
    }
    const target = this.bundlePath(name, version);
    const pluginsDir = join(this.root, PLUGINS_DIR);
    const dir = join(pluginsDir, name);

    // A look without the lock (the index is only ever replaced whole) spares the copy in the common cases.
    let early: IndexFile | undefined;
    if (await this.exists()) {
      early = await this.readIndexFile();
      const existing = this.decide(early.index, bundle);
      if (existing !== undefined) return { changed: false, path: target, entry: existing };
    }
    await this.assertRealDirectory(pluginsDir);
    await this.assertRealDirectory(dir);

    try {
      await mkdir(pluginsDir, { recursive: true });
    } catch (e) {
      throw ioError(this.root, 'create registry', e);
    }
    // The verified file, again only if it is a regular file (one swapped for a FIFO meanwhile never hangs).
    const { fd } = await openRegularFile(source, 'bundle');
    const input = createReadStream(source, { fd, highWaterMark: 1 << 20 });
    const staged = tempName(this.root);
    own(staged);
    try {
      await copyToNewFile(input, staged, {
        expected: { sha256: bundle.sha256, size: bundle.size },
        what: `${source} changed while it was being published`,
        hint: 'do not modify the bundle while publishing it; run publish again',
        target: this.root,
        onProgress: options.onProgress,
      });

      const lock = await acquireLock(this.lockPath, this.lockOptions());
      try {
        const { index } = await this.readIndexFile(early);
        const existing = this.decide(index, bundle);
        if (existing !== undefined) return { changed: false, path: target, entry: existing };
        // Checked again under the lock, before anything is deleted (clean-up) or stored; and after mkdir, so
        // that a link put in its place meanwhile is caught too.
        await this.assertRealDirectory(pluginsDir);
        await this.assertRealDirectory(dir);
        await this.collectGarbage(index);

        const entry: IndexEntry = { ...rest, published_at: isoSeconds(options.now ?? new Date()) };
        try {
          await mkdir(dir, { recursive: true });
        } catch (e) {
          throw ioError(dir, 'create', e);
        }
        await this.assertRealDirectory(pluginsDir);
        await this.assertRealDirectory(dir);
        try {
          await rename(staged, target);
        } catch (e) {
          throw ioError(target, 'store bundle', e);
        }
        disown(staged);
        await syncDir(dir);
        await syncDir(pluginsDir);
        const next = withEntry(index, name, version, entry);
        await options.beforeCommit?.(next);
        await this.writeIndex(next);
        return { changed: true, path: target, entry };
      } finally {
        await lock.release();
      }
    } finally {
      input.destroy();
      await unlink(staged).catch(() => {});
      disown(staged);
    }
  }

  /**
   * SPEC §11 yank: marks NAME@VERSION `"yanked": true` in the index, keeping its file. NOT_FOUND for a version
   * that is not published; yanking a yanked version again changes nothing (false).
   */
  async yank(name: string, version: string, options: { beforeCommit?: BeforeCommit } = {}): Promise<boolean> {
    return this.withLock(async () => {
      const index = await this.readIndex();
      const entry = ownEntry(ownEntry(index.plugins, name) ?? {}, version);
      if (entry === undefined) await this.find(name, version); // NOT_FOUND with the versions that exist
      if (entry === undefined || entry.yanked === true) return false;
      const next = withEntry(index, name, version, { ...entry, yanked: true });
      await options.beforeCommit?.(next);
      await this.writeIndex(next);
      return true;
    });
  }

  /** Runs `work` holding the index lock (the one lock of every change to the registry, metadata included). */
  async withLock<T>(work: () => Promise<T>): Promise<T> {
    if (!(await this.exists())) {
      throw new AurionError('REGISTRY_ERROR', `no directory registry at ${this.root}`, {
        hint: 'check the --registry path; a registry is created by the first publish',
      });
    }
    const lock = await acquireLock(this.lockPath, this.lockOptions());
    try {
      return await work();
    } finally {
      await lock.release();
    }
  }

  /**
   * undefined: not published yet; the entry: the same bytes are published; VERSION_EXISTS otherwise, and also
   * for a version that differs from a published one only in letter case (1.0.0-rc1, 1.0.0-RC1): on a
   * case-insensitive file system both would be one file, so the second would silently replace the first.
   */
  private decide(index: RegistryIndex, bundle: NewEntry): IndexEntry | undefined {
    const versions = ownEntry(index.plugins, bundle.name);
    if (versions === undefined) return undefined;
    const existing = ownEntry(versions, bundle.version);
    if (existing === undefined) {
      const folded = bundle.version.toLowerCase();
      const clash = Object.keys(versions).find((v) => v.toLowerCase() === folded);
      if (clash === undefined) return undefined;
      throw new AurionError(
        'VERSION_EXISTS',
        `${bundle.name}@${bundle.version} differs from the published ${bundle.name}@${clash} only in letter ` +
          `case; a registry keeps one of them, so that no file system can mix up their bundle files`,
        { hint: 'published versions are immutable; choose another version in manifest.json and build again' },
      );
    }
    if (existing.sha256 === bundle.sha256) return existing;
    throw new AurionError(
      'VERSION_EXISTS',
      `${bundle.name}@${bundle.version} is already published in ${this.root} with other content ` +
        `(sha256 ${existing.sha256}, this bundle ${bundle.sha256})`,
      { hint: 'published versions are immutable; bump the version in manifest.json and build again' },
    );
  }

  private async writeIndex(index: RegistryIndex): Promise<void> {
    const tmp = tempName(this.root);
    own(tmp);
    try {
      await copyToNewFile([Buffer.from(`${JSON.stringify(index, null, 2)}\n`)], tmp, {
        what: this.indexPath,
        target: this.indexPath,
      });
      await rename(tmp, this.indexPath);
      disown(tmp);
      await syncDir(this.root);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      disown(tmp);
      if (e instanceof AurionError) throw e;
      throw ioError(this.indexPath, 'write registry index', e);
    }
  }

  /**
   * Removes what crashed publishes left behind. Runs under the lock, so no live process of this host is
   * between "bundle renamed" and "index written": a bundle file without an index entry is a leftover.
   * Temporary files of live processes (copies in progress) and of other hosts are kept.
   */
  private async collectGarbage(index: RegistryIndex): Promise<void> {
    for (const name of await listDir(this.root)) {
      const path = join(this.root, name);
      const temp = tempOwner(name);
      if (temp !== undefined) {
        if (ownerIsDead(temp)) await unlink(path).catch(() => {});
      } else if (isBreakFileOf(this.lockPath, name)) {
        const breaker = await readOwner(path);
        if (breaker !== 'gone' && breaker !== 'unreadable' && isStale(breaker))
          await unlink(path).catch(() => {});
      }
    }
    // plugins/ itself was checked to be a real directory; a plugins/<name> that is not one (a link put there
    // by someone else) is left alone: clean-up never deletes through a link. The folders are read all at once:
    // one after the other, the round trips to the thread pool of 100 plugin folders took 60 ms (P9).
    const pluginsDir = join(this.root, PLUGINS_DIR);
    const folders = (await listDir(pluginsDir, { withFileTypes: true })).filter(
      (entry) => entry.isDirectory() && PLUGIN_NAME.test(entry.name),
    );
    await Promise.all(
      folders.map(({ name }) =>
        collectPluginGarbage(join(pluginsDir, name), name, ownEntry(index.plugins, name) ?? {}),
      ),
    );
  }
}

/** Removes the bundle files of plugins/<name> that the index does not name, and the folder when it has none. */
async function collectPluginGarbage(
  dir: string,
  name: string,
  versions: Readonly<Record<string, IndexEntry>>,
): Promise<void> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    return; // gone meanwhile, or unreadable
  }
  const prefix = `${name}-`;
  for (const file of files) {
    if (!file.startsWith(prefix) || !file.endsWith('.aurion')) continue;
    const version = file.slice(prefix.length, -'.aurion'.length);
    if (ownEntry(versions, version) === undefined && SEMVER.test(version)) {
      await unlink(join(dir, file)).catch(() => {});
    }
  }
  if (Object.keys(versions).length === 0) await rmdir(dir).catch(() => {});
}

/** index.json as read: its bytes (undefined: there is no index.json) and the index they hold. */
interface IndexFile {
  readonly bytes: Buffer | undefined;
  readonly index: RegistryIndex;
}

function emptyIndex(): RegistryIndex {
  return { schema_version: 1, plugins: {} };
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}

function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * The index with one more entry; names and versions kept sorted, and each entry's keys in SPEC order, so the
 * file diffs well. A plugin already written that way is taken as it is (the same text, without building it
 * again: 10,000 versions of other plugins cost a publish 10 ms; docs/performance.md, P9).
 */
function withEntry(index: RegistryIndex, name: string, version: string, entry: IndexEntry): RegistryIndex {
  const plugins: Record<string, Readonly<Record<string, IndexEntry>>> = {};
  const names = Object.keys(index.plugins);
  if (!Object.hasOwn(index.plugins, name)) names.push(name);
  for (const n of names.sort()) {
    const current = ownEntry(index.plugins, n) ?? {};
    if (n !== name && isWrittenInOrder(current)) {
      plugins[n] = current;
      continue;
    }
    const versions: Record<string, IndexEntry> = { ...current };
    if (n === name) versions[version] = entry;
    const sorted: Record<string, IndexEntry> = {};
    for (const v of Object.keys(versions).sort(compareVersions)) sorted[v] = orderedEntry(versions[v]!);
    plugins[n] = sorted;
  }
  return { schema_version: 1, plugins };
}

/** An entry's keys in SPEC §7's order: how orderedEntry writes them, and what isWrittenInOrder accepts. */
const ENTRY_KEYS = [
  'sha256',
  'size',
  'risk_class',
  'capabilities',
  'runtime',
  'key_id',
  'fingerprint',
  'published_at',
  'yanked',
] as const satisfies readonly (keyof IndexEntry)[];
/** The place of each key in ENTRY_KEYS. */
const ENTRY_KEY_ORDER = new Map<string, number>(ENTRY_KEYS.map((key, i) => [key, i]));

/**
 * Whether a plugin's versions (validated by the schema) are sorted and their entries' keys in SPEC order, so that
 * JSON.stringify writes them exactly as it writes what withEntry would build from them.
 */
function isWrittenInOrder(versions: Readonly<Record<string, IndexEntry>>): boolean {
  let previous: string | undefined;
  for (const version in versions) {
    if (previous !== undefined && compareVersions(previous, version) >= 0) return false;
    previous = version;
    let place = -1;
    for (const key in versions[version]) {
      const next = ENTRY_KEY_ORDER.get(key);
      if (next === undefined || next <= place) return false;
      place = next;
    }
  }
  return true;
}

/** Keys in the order SPEC §7 shows them. */
function orderedEntry(e: IndexEntry): IndexEntry {
  const ordered: Record<string, unknown> = {};
  for (const key of ENTRY_KEYS) {
    // Optional keys only when set; `yanked` only when true (false is the same as absent).
    if (e[key] !== undefined && (key !== 'yanked' || e.yanked === true)) ordered[key] = e[key];
  }
  return ordered as unknown as IndexEntry;
}

async function listDir(dir: string): Promise<string[]>;
async function listDir(dir: string, options: { withFileTypes: true }): Promise<Dirent[]>;
async function listDir(dir: string, options?: { withFileTypes: true }): Promise<string[] | Dirent[]> {
  try {
    return options === undefined ? await readdir(dir) : await readdir(dir, options);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError(dir, 'list', e);
  }
}

function yankedError(name: string, version: string, root: string): AurionError {
  return new AurionError('NOT_FOUND', `${name}@${version} was yanked from registry ${root}`, {
    hint: `a yanked version is kept for the record but no longer served; pull another version (aurion-plugin list ${name} --registry ...)`,
  });
}

/** NOT_FOUND for a version that was yanked, with the hint that it was. */
export function yankedVersionError(name: string, version: string, location: string): AurionError {
  return yankedError(name, version, location);
}

function corruptIndex(path: string, why: string): AurionError {
  return new AurionError('REGISTRY_ERROR', `registry index ${path} is not valid JSON: ${why}`, {
    hint: 'repair index.json (schemas/registry-index.schema.json) or restore it from a backup',
  });
}
