/**
 * Reading a signed registry through TUF (SPEC §11) with tuf-js's Updater: root rotation, expiry (freeze),
 * rollback of any role, snapshot/targets mismatches (mix-and-match), thresholds and target length/hash are all
 * the Updater's, a conformant client. Every failure is REGISTRY_UNTRUSTED naming the role and the rule.
 *
 * The trusted root comes from the client's cache for the registry (`<cache>/<key>/root.json`, possibly rotated
 * since) or else from `--tuf-root` (the registry's 1.root.json, obtained out of band). tuf-js writes its
 * metadata folder in place as it goes, so it runs on a scratch copy of the cache; only when the whole refresh
 * verified are the files copied back into the cache, each by an atomic rename.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { BaseFetcher, Updater } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import { MetadataKind, parseMetadata, type TargetSpec } from '../core/tuf-meta.js';
import { AurionError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import {
  INPUT_LIMITS,
  isMissing,
  openRegularFile,
  readSmallFile,
  readSmallFileIfExists,
} from '../io/files.js';
import { ownerIsDead, tempName, tempOwner } from './scratch.js';
import { cacheFolder } from './tuf-cache.js';

export { cacheFolder };

const CACHED = ['root.json', 'timestamp.json', 'snapshot.json', 'targets.json'] as const;

/** What a source answers for a metadata or target URL: the bytes, or the HTTP status that refused them. */
export type Fetched =
  | { readonly body: ReadableStream<Uint8Array<ArrayBuffer>> }
  | { readonly status: number; readonly message: string };

/** tuf-js's fetcher over a TufSource (a status other than 200 is tuf-js's DownloadHTTPError). */
class SourceFetcher extends BaseFetcher {
  /** Told the size of every piece fetched while it is set (a target downloaded with progress). */
  onBytes: ((bytes: number) => void) | undefined;

  constructor(private readonly source: TufSource) {
    super();
  }

  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    const fetched = await this.source.fetchFile(url);
    if (!('body' in fetched)) throw new DownloadHTTPError(fetched.message, fetched.status);
    const onBytes = this.onBytes;
    if (onBytes === undefined) return fetched.body;
    return fetched.body.pipeThrough(
      new TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>>({
        transform(chunk, controller) {
          onBytes(chunk.byteLength);
          controller.enqueue(chunk);
        },
      }),
    );
  }
}

/** Serves `file://` URLs from the file system: a missing file is a 404, as a web server would answer. */
export async function fetchLocalFile(url: string): Promise<Fetched> {
  const path = fileURLToPath(url);
  let fd: number;
  try {
    ({ fd } = await openRegularFile(path, 'registry metadata'));
  } catch (e) {
    if (isMissing(e)) return { status: 404, message: `${path} does not exist` };
    throw e;
  }
  return { body: Readable.toWeb(createReadStream(path, { fd })) as ReadableStream<Uint8Array<ArrayBuffer>> };
}

/** How a client finds the registry's metadata and targets. */
export interface TufSource {
  /** The registry as the user named it, for messages. */
  readonly location: string;
  /** What keys the cache: the registry's absolute path or URL. */
  readonly cacheKey: string;
  /** URL of `metadata/` (trailing slash) and of the registry root (trailing slash). */
  readonly metadataUrl: string;
  readonly targetsUrl: string;
  /** GET of a metadata or target URL below those two. */
  fetchFile(url: string): Promise<Fetched>;
}

export interface TufTrust {
  /** `--tuf-root FILE`: the registry's root metadata obtained out of band. */
  readonly rootFile?: string;
  /** The cache folder (one sub-folder per registry). */
  readonly cacheDir: string;
}

/** A registry's verified targets, and downloads checked against them. */
export class TrustedTargets {
  constructor(
    readonly targets: readonly TargetSpec[],
    private readonly updater: Updater,
    private readonly fetcher: SourceFetcher,
    private readonly source: TufSource,
    private readonly scratch: string,
  ) {}

  /**
   * Downloads a signed target into the new file `file`, checked against its signed length and hashes;
   * `onProgress` is told the bytes received so far as they arrive.
   */
  async download(path: string, file: string, onProgress?: (done: number) => void): Promise<void> {
    let done = 0;
    try {
      const info = await this.updater.getTargetInfo(path);
      if (info === undefined) throw new Error(`target ${path} is not signed`);
      // Set only now: looking the target up may fetch delegated metadata, which is not the download.
      this.fetcher.onBytes =
        onProgress === undefined
          ? undefined
          : (bytes) => {
              done += bytes;
              onProgress(done);
            };
      await this.updater.downloadTarget(info, file);
    } catch (e) {
      throw untrusted(this.source.location, e, 'targets');
    } finally {
      this.fetcher.onBytes = undefined;
    }
  }

  async close(): Promise<void> {
    await rm(this.scratch, { recursive: true, force: true }).catch(() => {});
  }
}

/**
 * Verifies the registry's metadata when a trusted root is known (cache first, then `rootFile`); undefined when
 * there is none (the registry is read unsigned). REGISTRY_UNTRUSTED for every verification failure, a registry
 * that lost its metadata included.
 */
export async function openTrusted(source: TufSource, trust: TufTrust): Promise<TrustedTargets | undefined> {
  const folder = cacheFolder(trust.cacheDir, source.cacheKey);
  const cached = new Map<string, Buffer>();
  for (const name of CACHED) {
    const bytes = await readSmallFileIfExists(join(folder, name), 'TUF cache', INPUT_LIMITS.tufMetadata);
    if (bytes !== undefined) cached.set(name, bytes);
  }
  if (!cached.has('root.json')) {
    if (trust.rootFile === undefined) return undefined;
    const bytes = await readSmallFile(trust.rootFile, 'TUF root', INPUT_LIMITS.tufMetadata);
    try {
      parseMetadata(MetadataKind.Root, bytes, trust.rootFile);
    } catch (e) {
      throw new AurionError('KEY_INVALID', `--tuf-root ${trust.rootFile}: ${(e as Error).message}`, {
        hint: "give the registry's metadata/1.root.json, obtained from its operator out of band",
      });
    }
    cached.clear();
    cached.set('root.json', bytes);
  }
  try {
    await mkdir(trust.cacheDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new AurionError(
      'IO_ERROR',
      `cannot create the TUF cache ${trust.cacheDir}: ${(e as Error).message}`,
      {
        hint: 'give a writable folder with --tuf-cache',
      },
    );
  }
  // Scratch copies of killed clients (named by pid and host, as the registry's scratch files) are removed.
  for (const name of await readdir(trust.cacheDir).catch(() => [] as string[])) {
    const owner = tempOwner(name);
    if (owner !== undefined && ownerIsDead(owner)) {
      await rm(join(trust.cacheDir, name), { recursive: true, force: true }).catch(() => {});
    }
  }
  const scratch = tempName(trust.cacheDir);
  try {
    await mkdir(scratch, { mode: 0o700 });
  } catch (e) {
    throw new AurionError(
      'IO_ERROR',
      `cannot write the TUF cache ${trust.cacheDir}: ${(e as Error).message}`,
      {
        hint: 'give a writable folder with --tuf-cache',
      },
    );
  }
  try {
    for (const [name, bytes] of cached) await writeFileAtomic(join(scratch, name), bytes);
    let updater: Updater;
    const fetcher = new SourceFetcher(source);
    try {
      updater = new Updater({
        metadataDir: scratch,
        metadataBaseUrl: source.metadataUrl,
        targetBaseUrl: source.targetsUrl,
        fetcher,
        config: { prefixTargetsWithHash: false },
      });
      await updater.refresh();
    } catch (e) {
      throw untrusted(source.location, e, undefined);
    }
    const targetsBytes = await readSmallFile(
      join(scratch, 'targets.json'),
      'TUF metadata',
      INPUT_LIMITS.tufMetadata,
    );
    const targets = parseMetadata(MetadataKind.Targets, targetsBytes, 'verified targets.json');
    // Verified: the cache takes the new metadata, root first.
    await mkdir(folder, { recursive: true, mode: 0o700 });
    for (const name of CACHED) {
      const bytes = await readSmallFileIfExists(
        join(scratch, name),
        'TUF metadata',
        INPUT_LIMITS.tufMetadata,
      );
      if (bytes !== undefined) await writeFileAtomic(join(folder, name), bytes);
    }
    const list: TargetSpec[] = Object.values(targets.signed.targets).map((t) => ({
      path: t.path,
      length: t.length,
      sha256: t.hashes['sha256'] ?? '',
      custom: t.custom as unknown as TargetSpec['custom'],
    }));
    return new TrustedTargets(list, updater, fetcher, source, scratch);
  } catch (e) {
    await rm(scratch, { recursive: true, force: true }).catch(() => {});
    throw e;
  }
}

/** The role a tuf-js message is about: the one it was loading, else the first role it names. */
function roleOf(message: string): string {
  const loading = /Unable to load (snapshot|targets)/.exec(message)?.[1];
  if (loading !== undefined) return loading;
  const named = /\b(root|timestamp|snapshot|targets)\b/i.exec(message)?.[1];
  return named === undefined ? 'root' : named.toLowerCase();
}

/** REGISTRY_UNTRUSTED naming the role and the rule a TUF failure broke. */
function untrusted(location: string, e: unknown, role: string | undefined): AurionError {
  if (e instanceof AurionError && e.code === 'IO_ERROR') return e;
  const message = e instanceof Error ? e.message : String(e);
  const name = e instanceof Error ? e.constructor.name : 'Error';
  const text = `${name} ${message}`;
  const who = role ?? roleOf(message);
  let rule: string;
  if (/Expired/.test(name) || /is expired/i.test(message)) {
    rule = 'expired metadata (freeze attack, or a registry whose operator did not refresh it)';
  } else if (/does not match snapshot|doesn't match timestamp/i.test(message)) {
    rule = 'versions of snapshot and targets do not match (mix-and-match)';
  } else if (/less than current version|BadVersion/.test(text)) {
    rule = 'version older than the trusted one (rollback)';
  } else if (/Expected version/i.test(message)) {
    rule = 'root versions must follow each other';
  } else if (/signed by \d+\/\d+ keys|signature|Unsigned/i.test(text)) {
    rule = 'not signed by a threshold of its keys';
  } else if (/LengthOrHash|length|hash|Max length/i.test(text)) {
    rule = 'length or hash does not match the signed one';
  } else if (/\b404\b|does not exist|HTTP/i.test(text)) {
    rule = 'metadata missing from the registry';
  } else {
    rule = 'metadata does not verify';
  }
  return new AurionError(
    'REGISTRY_UNTRUSTED',
    `registry ${location} fails TUF verification: ${who} role: ${rule}: ${message}`,
    {
      hint:
        'nothing was written; the registry (or a mirror or cache in front of it) serves metadata that its keys ' +
        'do not vouch for. Tell its operator; never fall back to reading it unsigned',
    },
  );
}
