/**
 * The one registry interface (SPEC §7): publish stores a verified bundle, fetch copies one into a new file
 * checked against the digest the registry recorded. One implementation per kind of registry, chosen once from
 * the registry reference by openRegistry; src/ops/publish.ts never asks which kind it holds.
 */
import type { TrustPolicy } from '../core/policy.js';
import type { Capability, Manifest, RiskClass } from '../core/types.js';
import { loadOptionalTrustPolicyFile } from '../io/trust.js';
import type { Env } from './auth.js';
import { DirectoryRegistry } from './directory.js';
import type { RetryPolicy } from './http.js';
import { OciClient } from './oci.js';
import { downloadPlugin, pushPlugin } from './oci-artifact.js';
import { type DirectoryRef, type OciRef, parseRegistryRef } from './reference.js';
import { copyToNewFile } from './transfer.js';

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

export interface Fetched {
  readonly sha256: string;
  readonly size: number;
  readonly reference?: string;
  readonly digest?: string;
}

/** A trust policy a registry itself imposes on every bundle published to it. */
export interface RegistryTrust {
  readonly label: string;
  readonly policy: TrustPolicy;
}

export interface PluginRegistry {
  /** The registry as the user named it. */
  readonly location: string;
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
   * Copies NAME@VERSION into the new file `tmpPath`, checked against the registry's digest and size
   * (DIGEST_MISMATCH, nothing kept). `output` names the file in messages; the caller renames it into place.
   */
  fetch(
    name: string,
    version: string,
    tmpPath: string,
    output: string,
    onProgress?: (done: number, total: number) => void,
  ): Promise<Fetched>;
  /** Releases connections. */
  close(): void;
}

export interface OpenRegistryOptions {
  /** Plain HTTP to an OCI registry that is not on a loopback address. */
  readonly plainHttp?: boolean;
  /** Registry credentials (AURION_REGISTRY_USERNAME/PASSWORD) and HOME or DOCKER_CONFIG for the Docker config. */
  readonly env?: Env;
  readonly retry?: Partial<RetryPolicy>;
  /** How long to wait for another publisher's lock on a directory registry (default 60 s). */
  readonly lockTimeoutMs?: number;
}

/** The registry a `--registry` value names: a folder or file:// URL, or oci://HOST[:PORT]/NAMESPACE. USAGE else. */
export function openRegistry(location: string, options: OpenRegistryOptions = {}): PluginRegistry {
  const ref = parseRegistryRef(location, { plainHttp: options.plainHttp === true });
  return ref.kind === 'directory'
    ? new DirectoryPluginRegistry(location, ref, options)
    : new OciPluginRegistry(location, ref, options);
}

const FLAGS_HINT = 'give --trusted-key FILE, --pgp-keyring FILE or --trust-policy FILE';

class DirectoryPluginRegistry implements PluginRegistry {
  readonly trustHint = `${FLAGS_HINT}, or put a trust-policy.json in the registry folder`;
  private readonly registry: DirectoryRegistry;

  constructor(
    readonly location: string,
    ref: DirectoryRef,
    options: OpenRegistryOptions,
  ) {
    this.registry = new DirectoryRegistry(ref.path, { lockTimeoutMs: options.lockTimeoutMs });
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
      { now: options.now, onProgress: options.onProgress },
    );
    return { changed: stored.changed, path: stored.path };
  }

  async fetch(
    name: string,
    version: string,
    tmpPath: string,
    output: string,
    onProgress?: (done: number, total: number) => void,
  ): Promise<Fetched> {
    const { entry, stream } = await this.registry.openBundle(name, version);
    return copyToNewFile(stream, tmpPath, {
      expected: { sha256: entry.sha256, size: entry.size },
      what: `${name}@${version} in ${this.registry.root} (${this.registry.bundlePath(name, version)})`,
      onProgress: onProgress === undefined ? undefined : (done) => onProgress(done, entry.size),
      target: output,
    });
  }

  close(): void {}
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

  fetch(
    name: string,
    version: string,
    tmpPath: string,
    output: string,
    onProgress?: (done: number, total: number) => void,
  ): Promise<Fetched> {
    return downloadPlugin(this.client, name, version, tmpPath, onProgress, output);
  }

  close(): void {
    this.client.close();
  }
}
