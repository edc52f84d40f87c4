/**
 * The one registry interface (SPEC §7): publish stores a verified bundle, fetch copies one into a new file
 * checked against the digest the registry recorded. One implementation per kind of registry, chosen once from
 * the registry reference by openRegistry; src/ops/publish.ts never asks which kind it holds.
 */
import type { TrustPolicy } from '../core/policy.js';
import type { Capability, Manifest, RiskClass } from '../core/types.js';
import type { VersionQuery } from '../core/versions.js';
import { AurionError } from '../errors.js';
import { loadOptionalTrustPolicyFile } from '../io/trust.js';
import type { Env } from './auth.js';
import { DirectoryCatalog, type Listing, type Resolved, type SignedWriter } from './catalog.js';
import { type BeforeCommit, DirectoryRegistry, isSignedRegistry } from './directory.js';
import { FileStore } from './file-store.js';
import type { RetryPolicy } from './http.js';
import { HttpStore } from './http-store.js';
import { OciClient } from './oci.js';
import { downloadPlugin, pushPlugin } from './oci-artifact.js';
import { type DirectoryRef, type HttpRef, type OciRef, parseRegistryRef } from './reference.js';
import type { Scanner } from './transfer.js';
import type { TufTrust } from './tuf-client.js';

export type { Listing, Resolved, VersionInfo } from './catalog.js';

/** A verified bundle, as a registry records it. */
export interface PublishedBundle {
  readonly name: string;
  readonly version: string;
  /** SHA-256 and size of the bundle file. */
  readonly sha256: string;
  readonly size: number;
  readonly risk_class: RiskClass;
  readonly capabilities: readonly Capability[];
  readonly runtime: Manifest['runtime'];
  /** The signer that passed verification. */
  readonly signer: { readonly key_id: string } | { readonly fingerprint: string };
  /** manifest.json exactly as stored in the bundle (an OCI artifact's config blob). */
  readonly manifestBytes: Uint8Array;
}

export interface Stored {
  /** false: these exact bytes were already published under that name and version. */
  readonly changed: boolean;
  /** Directory registry: where the bundle is stored. */
  readonly path?: string;
  /** OCI registry: `host[:port]/repository:tag` and the image manifest digest. */
  readonly reference?: string;
  readonly digest?: string;
}

export interface Fetched<T = undefined> {
  readonly sha256: string;
  readonly size: number;
  readonly reference?: string;
  readonly digest?: string;
  /** What `scan` returned (when one was given). */
  readonly scanned?: T;
}

export interface FetchOptions<T> {
  /** The file the user asked for, in messages (the bytes go to a temporary file beside it). */
  readonly output: string;
  /** The bytes received so far, as they arrive (a scan in the same pass goes at that pace). */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Reads the bundle as it is written, in the same pass (transfer.ts copyAndScan): pull verifies while it
   * downloads. Its verdict counts only once the bytes matched the registry's digest.
   */
  readonly scan?: Scanner<T>;
  /**
   * The bytes the scan has read so far, when it reads the file after the download instead: a TUF target is
   * checked by tuf-js as a whole first.
   */
  readonly onScanProgress?: (done: number, total: number) => void;
}

/** A trust policy a registry itself imposes on every bundle published to it. */
export interface RegistryTrust {
  readonly label: string;
  readonly policy: TrustPolicy;
}

export interface PluginRegistry {
  /** The registry as the user named it. */
  readonly location: string;
  /**
   * The version a query picks (SPEC §11): the highest release, an exact version or the highest in an npm range;
   * with TUF only signed targets count. NOT_FOUND when none (a yanked version says so).
   */
  resolve(name: string, query: VersionQuery): Promise<Resolved>;
  /** Every version of every plugin (or of one), prereleases included, yanked ones not. */
  list(name?: string): Promise<Listing>;
  /** SPEC §11: marks NAME@VERSION yanked; false when it already was. */
  yank(name: string, version: string, options: { readonly now: Date }): Promise<boolean>;
  /** How to give trust material to publish to this registry (for the message when none was given). */
  readonly trustHint: string;
  /** The registry's own trust policy, enforced on every publish whatever the flags say; undefined when none. */
  ownTrust(): Promise<RegistryTrust | undefined>;
  /** Stores a bundle that passed verification; VERSION_EXISTS for other bytes under that name and version. */
  publish(
    bundlePath: string,
    bundle: PublishedBundle,
    options: { readonly now: Date; readonly onProgress?: (done: number) => void },
  ): Promise<Stored>;
  /**
   * Call resolve first: fetch takes the version it resolved.
   * Copies NAME@VERSION into the new file `tmpPath`, checked against the registry's digest and size
   * (DIGEST_MISMATCH, nothing kept), scanned on the way when asked; the caller renames it into place.
   */
  fetch<T>(name: string, version: string, tmpPath: string, options: FetchOptions<T>): Promise<Fetched<T>>;
  /** Releases connections and scratch files. */
  close(): Promise<void>;
}

export interface OpenRegistryOptions {
  /** Plain HTTP to an OCI registry that is not on a loopback address. */
  readonly plainHttp?: boolean;
  /** Registry credentials (AURION_REGISTRY_USERNAME/PASSWORD) and HOME or DOCKER_CONFIG for the Docker config. */
  readonly env?: Env;
  readonly retry?: Partial<RetryPolicy>;
  /** How long to wait for another publisher's lock on a directory registry (default 60 s). */
  readonly lockTimeoutMs?: number;
  /** Reading through TUF (SPEC §11): the trusted root file and the cache. Without it: unsigned. */
  readonly tuf?: TufTrust;
  /** Writing to a signed directory registry: the online role keys (publish and yank). */
  readonly signer?: SignedWriter;
}

/**
 * The registry a `--registry` value names: a folder or file:// URL, http(s)://HOST/PATH/ (a directory registry
 * served read-only by a web server), or oci://HOST[:PORT]/NAMESPACE. USAGE else.
 */
export function openRegistry(location: string, options: OpenRegistryOptions = {}): PluginRegistry {
  const ref = parseRegistryRef(location, { plainHttp: options.plainHttp === true });
  if (ref.kind === 'directory') return new DirectoryPluginRegistry(location, ref, options);
  if (ref.kind === 'http') return new HttpPluginRegistry(location, ref, options);
  return new OciPluginRegistry(location, ref, options);
}

const FLAGS_HINT = 'give --trusted-key FILE, --pgp-keyring FILE or --trust-policy FILE';

class DirectoryPluginRegistry implements PluginRegistry {
  readonly trustHint = `${FLAGS_HINT}, or put a trust-policy.json in the registry folder`;
  private readonly registry: DirectoryRegistry;
  private readonly catalog: DirectoryCatalog;

  constructor(
    readonly location: string,
    ref: DirectoryRef,
    private readonly options: OpenRegistryOptions,
  ) {
    this.registry = new DirectoryRegistry(ref.path, { lockTimeoutMs: options.lockTimeoutMs });
    this.catalog = new DirectoryCatalog(new FileStore(location, this.registry), options.tuf);
  }

  resolve(name: string, query: VersionQuery): Promise<Resolved> {
    return this.catalog.resolve(name, query);
  }

  list(name?: string): Promise<Listing> {
    return this.catalog.list(name);
  }

  async yank(name: string, version: string, options: { readonly now: Date }): Promise<boolean> {
    return this.registry.yank(name, version, { beforeCommit: await this.beforeCommit(options.now) });
  }

  async ownTrust(): Promise<RegistryTrust | undefined> {
    // Absent only when nothing is there: one that cannot be read fails the publish (SPEC §7).
    const path = this.registry.trustPolicyPath;
    const policy = await loadOptionalTrustPolicyFile(path);
    return policy === undefined ? undefined : { label: `the registry's trust policy ${path}`, policy };
  }

  async publish(
    bundlePath: string,
    bundle: PublishedBundle,
    options: { readonly now: Date; readonly onProgress?: (done: number) => void },
  ): Promise<Stored> {
    const beforeCommit = await this.beforeCommit(options.now);
    const stored = await this.registry.publish(
      bundlePath,
      {
        name: bundle.name,
        version: bundle.version,
        sha256: bundle.sha256,
        size: bundle.size,
        risk_class: bundle.risk_class,
        capabilities: bundle.capabilities,
        runtime: bundle.runtime,
        ...bundle.signer,
      },
      {
        now: options.now,
        onProgress: options.onProgress,
        ...(beforeCommit === undefined ? {} : { beforeCommit }),
      },
    );
    return { changed: stored.changed, path: stored.path };
  }

  /** A signed registry needs the online keys before anything is stored (USAGE, nothing stored). */
  private async beforeCommit(now: Date): Promise<BeforeCommit | undefined> {
    if (!(await isSignedRegistry(this.registry.root))) return undefined;
    const keys = this.options.signer?.keys;
    const missing = (['targets', 'snapshot', 'timestamp'] as const).filter((r) => keys?.[r] === undefined);
    if (keys === undefined || missing.length > 0) {
      throw new AurionError(
        'USAGE',
        `registry ${this.location} is signed (TUF): changing it needs the ${missing.join(', ')} key${missing.length > 1 ? 's' : ''}; nothing was stored`,
        {
          hint: `give ${missing.map((r) => `--${r}-key FILE`).join(', ')} or set ${missing.map((r) => `AURION_TUF_${r.toUpperCase()}_KEY`).join(', ')}`,
        },
      );
    }
    const online = { targets: keys.targets!, snapshot: keys.snapshot!, timestamp: keys.timestamp! };
    const { TufRepository } = await import('./tuf-repo.js');
    const repo = new TufRepository(this.registry.root);
    return (next) => repo.update(next, online, now);
  }

  fetch<T>(name: string, version: string, tmpPath: string, options: FetchOptions<T>): Promise<Fetched<T>> {
    return this.catalog.fetch(name, version, tmpPath, options);
  }

  close(): Promise<void> {
    return this.catalog.close();
  }
}

/** A directory registry served by a web server (SPEC §11): pull and list only. */
class HttpPluginRegistry implements PluginRegistry {
  readonly trustHint = FLAGS_HINT;
  private readonly store: HttpStore;
  private readonly catalog: DirectoryCatalog;

  constructor(
    readonly location: string,
    ref: HttpRef,
    options: OpenRegistryOptions,
  ) {
    this.store = new HttpStore(location, ref, options.retry);
    this.catalog = new DirectoryCatalog(this.store, options.tuf);
  }

  resolve(name: string, query: VersionQuery): Promise<Resolved> {
    return this.catalog.resolve(name, query);
  }

  list(name?: string): Promise<Listing> {
    return this.catalog.list(name);
  }

  async yank(): Promise<boolean> {
    throw readOnly(this.location);
  }

  async ownTrust(): Promise<RegistryTrust | undefined> {
    return undefined;
  }

  async publish(): Promise<Stored> {
    throw readOnly(this.location);
  }

  fetch<T>(name: string, version: string, tmpPath: string, options: FetchOptions<T>): Promise<Fetched<T>> {
    return this.catalog.fetch(name, version, tmpPath, options);
  }

  async close(): Promise<void> {
    await this.catalog.close();
    this.store.close();
  }
}

function readOnly(location: string): AurionError {
  return new AurionError('USAGE', `registry ${location} is served over HTTP(S), which is read-only`, {
    hint: 'publish and yank on the file system that holds the registry folder; pull and list work over HTTP(S)',
  });
}

class OciPluginRegistry implements PluginRegistry {
  readonly trustHint = FLAGS_HINT;
  private readonly client: OciClient;

  constructor(
    readonly location: string,
    ref: OciRef,
    options: OpenRegistryOptions,
  ) {
    this.client = new OciClient(ref, {
      env: options.env ?? {},
      ...(options.retry === undefined ? {} : { retry: options.retry }),
    });
  }

  async ownTrust(): Promise<RegistryTrust | undefined> {
    return undefined;
  }

  /** OCI registries resolve exact versions only (a tag is a version); ranges and the latest are UNSUPPORTED. */
  async resolve(name: string, query: VersionQuery): Promise<Resolved> {
    if (query.kind !== 'exact') {
      throw new AurionError(
        'UNSUPPORTED',
        `registry ${this.location} is an OCI registry: pull takes an exact version there (NAME@VERSION)`,
        {
          hint: 'version ranges, the latest release and list work on directory registries (docs/registry.md)',
        },
      );
    }
    return { name, version: query.version, signed: false };
  }

  async list(): Promise<Listing> {
    throw new AurionError(
      'UNSUPPORTED',
      `list works on directory registries; ${this.location} is an OCI registry`,
      {
        hint: 'list the tags with your registry tooling (e.g. crane ls, oras repo tags)',
      },
    );
  }

  async yank(): Promise<boolean> {
    throw new AurionError(
      'UNSUPPORTED',
      `yank works on directory registries; ${this.location} is an OCI registry`,
      {
        hint: 'delete or retag the version with your registry tooling',
      },
    );
  }

  async publish(
    bundlePath: string,
    bundle: PublishedBundle,
    options: { readonly now: Date; readonly onProgress?: (done: number) => void },
  ): Promise<Stored> {
    const pushed = await pushPlugin(
      this.client,
      {
        name: bundle.name,
        version: bundle.version,
        manifestBytes: bundle.manifestBytes,
        bundle: { path: bundlePath, sha256: bundle.sha256, size: bundle.size },
      },
      options.onProgress,
    );
    return { changed: pushed.changed, reference: pushed.reference, digest: pushed.digest };
  }

  fetch<T>(name: string, version: string, tmpPath: string, options: FetchOptions<T>): Promise<Fetched<T>> {
    return downloadPlugin(this.client, name, version, tmpPath, options);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
