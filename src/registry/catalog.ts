/**
 * What a directory registry holds, as a client sees it (SPEC §11): the versions of `index.json` that are not
 * yanked, or — when the client holds a trusted root for the registry — only the targets its TUF metadata signs.
 * Version resolution, `list` and the digest-checked download all read one view, taken once per command, so a
 * pull resolves and fetches against the same metadata. The registry's files come from a Store: the file system
 * (FileStore) or a web server (HttpStore).
 */

import type { Ed25519PrivateKey } from '../core/keys.js';
import type { TargetSpec } from '../core/tuf-meta.js';
import type { Capability, RiskClass } from '../core/types.js';
import { compareSemver, PLUGIN_NAME, pickVersion, SEMVER, type VersionQuery } from '../core/versions.js';
import { AurionError } from '../errors.js';
import {
  bundleFileName,
  type IndexEntry,
  PLUGINS_DIR,
  type RegistryIndex,
  yankedVersionError,
} from './directory.js';
import type { Fetched, FetchOptions } from './registry.js';
import { copyAndScan, copyToNewFile, scanFile } from './transfer.js';
import { mayReadSigned } from './tuf-cache.js';
import type { TrustedTargets, TufSource, TufTrust } from './tuf-client.js';

export type Signer =
  | { readonly algorithm: 'ed25519'; readonly key_id: string }
  | { readonly algorithm: 'openpgp'; readonly fingerprint: string };

/** One version as `list --json` shows it (SPEC §11). */
export interface VersionInfo {
  readonly version: string;
  readonly sha256: string;
  readonly size: number;
  readonly risk_class: RiskClass;
  readonly capabilities: readonly Capability[];
  readonly runtime: 'wasm' | 'container';
  readonly signer: Signer;
}

export interface Listing {
  /** true: read through TUF, only signed targets; false: index.json as it is. */
  readonly signed: boolean;
  readonly plugins: readonly { readonly name: string; readonly versions: readonly VersionInfo[] }[];
}

export interface Resolved {
  readonly name: string;
  readonly version: string;
  readonly signed: boolean;
}

/** The online keys a signed registry's publish and yank need (those not given are missing). */
export interface SignedWriter {
  readonly keys: Partial<Record<'targets' | 'snapshot' | 'timestamp', Ed25519PrivateKey>>;
}

/** Where a directory registry's files come from. */
export interface Store extends TufSource {
  /** index.json; REGISTRY_ERROR when there is no registry there at all. */
  readIndex(): Promise<RegistryIndex>;
  /** The stored bundle's bytes (not yet checked). */
  openBundle(name: string, version: string): Promise<AsyncIterable<Uint8Array>>;
}

/** The versions of each plugin that a client sees; a plugin without any is absent. */
interface Plugins {
  get(name: string): ReadonlyMap<string, VersionInfo> | undefined;
  keys(): Iterable<string>;
}

interface View {
  readonly signed: boolean;
  readonly plugins: Plugins;
  readonly trusted?: TrustedTargets;
}

export class DirectoryCatalog {
  private view?: Promise<View>;
  private trusted?: TrustedTargets;

  constructor(
    private readonly store: Store,
    private readonly tuf: TufTrust | undefined,
  ) {}

  async resolve(name: string, query: VersionQuery): Promise<Resolved> {
    const view = await this.load();
    const versions = view.plugins.get(name);
    const picked = versions === undefined ? undefined : pickVersion([...versions.keys()], query);
    if (picked !== undefined) return { name, version: picked, signed: view.signed };
    if (query.kind === 'exact') {
      // Only for the message: the (unsigned) index says whether the version was yanked.
      const entry = await this.indexEntry(name, query.version);
      if (entry?.yanked === true) throw yankedVersionError(name, query.version, this.store.location);
    }
    const known = versions === undefined ? [] : [...versions.keys()].sort(compareSemver);
    const what =
      query.kind === 'exact'
        ? `version ${query.version} of ${name}`
        : query.kind === 'range'
          ? `version of ${name} in the range ${query.range}`
          : `release of ${name} (prereleases are taken only when asked for by version or range)`;
    throw new AurionError(
      'NOT_FOUND',
      versions === undefined
        ? `no plugin ${name} in registry ${this.store.location}${view.signed ? ' (signed targets)' : ''}`
        : `no ${what} in registry ${this.store.location}${view.signed ? ' (signed targets)' : ''}`,
      {
        hint:
          known.length > 0
            ? `published versions of ${name}: ${known.join(', ')}`
            : 'check the name and version, or publish it first',
      },
    );
  }

  async list(name?: string): Promise<Listing> {
    const view = await this.load();
    const names =
      name === undefined
        ? [...view.plugins.keys()].sort()
        : view.plugins.get(name) === undefined
          ? []
          : [name];
    if (name !== undefined && names.length === 0) {
      throw new AurionError('NOT_FOUND', `no plugin ${name} in registry ${this.store.location}`, {
        hint: 'run list without a name to see every plugin',
      });
    }
    return {
      signed: view.signed,
      plugins: names.map((n) => {
        const versions = view.plugins.get(n)!;
        return { name: n, versions: [...versions.keys()].sort(compareSemver).map((v) => versions.get(v)!) };
      }),
    };
  }

  /**
   * Copies a resolved version into the new file `tmpPath`, checked against the (signed) digest and size, and
   * scanned in the same pass when asked (a TUF download is checked by tuf-js first, then scanned from the file).
   */
  async fetch<T>(
    name: string,
    version: string,
    tmpPath: string,
    options: FetchOptions<T>,
  ): Promise<Fetched<T>> {
    const view = await this.load();
    const info = view.plugins.get(name)?.get(version);
    if (info === undefined)
      throw new AurionError(
        'NOT_FOUND',
        `no version ${version} of ${name} in registry ${this.store.location}`,
      );
    const onProgress =
      options.onProgress === undefined ? undefined : (done: number) => options.onProgress?.(done, info.size);
    if (view.trusted !== undefined) {
      await view.trusted.download(targetPath(name, version), tmpPath, onProgress);
      const digest = { sha256: info.sha256, size: info.size };
      if (options.scan === undefined) return digest;
      const onScanProgress =
        options.onScanProgress === undefined
          ? undefined
          : (done: number) => options.onScanProgress?.(done, info.size);
      return { ...digest, scanned: await scanFile(tmpPath, info.size, options.scan, onScanProgress) };
    }
    const stream = await this.store.openBundle(name, version);
    const copyOptions = {
      expected: { sha256: info.sha256, size: info.size },
      what: `${name}@${version} in ${this.store.location} (${targetPath(name, version)})`,
      onProgress,
      target: options.output,
    };
    return options.scan === undefined
      ? copyToNewFile(stream, tmpPath, copyOptions)
      : copyAndScan(stream, tmpPath, copyOptions, options.scan);
  }

  async close(): Promise<void> {
    await this.trusted?.close();
  }

  private load(): Promise<View> {
    this.view ??= this.read();
    return this.view;
  }

  private async read(): Promise<View> {
    // tuf-js and its dependencies load only for a registry read through TUF: about 50 ms of start-up that an
    // unsigned or OCI pull, and every publish, would otherwise pay (docs/performance.md, P6).
    const trusted =
      this.tuf === undefined || !(await mayReadSigned(this.tuf, this.store.cacheKey))
        ? undefined
        : await (await import('./tuf-client.js')).openTrusted(this.store, this.tuf);
    if (trusted !== undefined) {
      this.trusted = trusted;
      return { signed: true, plugins: fromTargets(trusted.targets, this.store.location), trusted };
    }
    return { signed: false, plugins: new IndexPlugins(await this.store.readIndex()) };
  }

  private async indexEntry(name: string, version: string): Promise<IndexEntry | undefined> {
    try {
      const index = await this.store.readIndex();
      const versions = Object.hasOwn(index.plugins, name) ? index.plugins[name]! : {};
      return Object.hasOwn(versions, version) ? versions[version] : undefined;
    } catch {
      return undefined;
    }
  }
}

function targetPath(name: string, version: string): string {
  return `${PLUGINS_DIR}/${name}/${bundleFileName(name, version)}`;
}

/**
 * The versions index.json holds that are not yanked, each plugin's taken when first asked for: a pull or a list
 * of one plugin does not build the view of the 10,000 versions of the others (docs/performance.md, P9).
 */
class IndexPlugins implements Plugins {
  private readonly views = new Map<string, ReadonlyMap<string, VersionInfo> | undefined>();

  constructor(private readonly index: RegistryIndex) {}

  get(name: string): ReadonlyMap<string, VersionInfo> | undefined {
    if (!this.views.has(name)) {
      const versions = Object.hasOwn(this.index.plugins, name) ? this.index.plugins[name] : undefined;
      this.views.set(name, versions === undefined ? undefined : versionsOf(versions));
    }
    return this.views.get(name);
  }

  keys(): string[] {
    return Object.keys(this.index.plugins).filter((name) => this.get(name) !== undefined);
  }
}

/** The versions that are not yanked; undefined when there are none. */
function versionsOf(versions: RegistryIndex['plugins'][string]): Map<string, VersionInfo> | undefined {
  const map = new Map<string, VersionInfo>();
  for (const [version, e] of Object.entries(versions)) {
    if (e.yanked === true) continue;
    map.set(version, {
      version,
      sha256: e.sha256,
      size: e.size,
      risk_class: e.risk_class,
      capabilities: e.capabilities,
      runtime: e.runtime,
      signer:
        e.key_id !== undefined
          ? { algorithm: 'ed25519', key_id: e.key_id }
          : { algorithm: 'openpgp', fingerprint: e.fingerprint! },
    });
  }
  return map.size > 0 ? map : undefined;
}

/** The signed targets; one whose path does not match its own name and version is refused (REGISTRY_UNTRUSTED). */
function fromTargets(
  targets: readonly TargetSpec[],
  location: string,
): Map<string, Map<string, VersionInfo>> {
  const plugins = new Map<string, Map<string, VersionInfo>>();
  for (const t of targets) {
    const c = t.custom as Partial<TargetSpec['custom']> | undefined;
    const name = c?.name;
    const version = c?.version;
    if (
      typeof name !== 'string' ||
      typeof version !== 'string' ||
      !PLUGIN_NAME.test(name) ||
      !SEMVER.test(version) ||
      t.path !== targetPath(name, version) ||
      !/^[0-9a-f]{64}$/.test(t.sha256) ||
      !['Low', 'Medium', 'High'].includes(c?.risk_class as string) ||
      !['wasm', 'container'].includes(c?.runtime as string) ||
      !Array.isArray(c?.capabilities) ||
      !c.capabilities.every((x) => typeof x === 'string') ||
      !isSigner(c.signer)
    ) {
      throw new AurionError(
        'REGISTRY_UNTRUSTED',
        `registry ${location} fails TUF verification: targets role: target ${JSON.stringify(t.path)} does not describe a bundle (custom name and version must match plugins/<name>/<name>-<version>.aurion; risk_class, capabilities, runtime and signer as SPEC §11 says)`,
        { hint: 'the targets metadata was signed with wrong content; tell the registry operator' },
      );
    }
    const map = plugins.get(name) ?? new Map<string, VersionInfo>();
    plugins.set(name, map);
    map.set(version, {
      version,
      sha256: t.sha256,
      size: t.length,
      risk_class: c.risk_class as RiskClass,
      capabilities: c.capabilities as Capability[],
      runtime: c.runtime as 'wasm' | 'container',
      signer: c.signer as Signer,
    });
  }
  return plugins;
}

function isSigner(value: unknown): value is Signer {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v['algorithm'] === 'ed25519'
    ? typeof v['key_id'] === 'string' && /^[0-9a-f]{16}$/.test(v['key_id'])
    : v['algorithm'] === 'openpgp' &&
        typeof v['fingerprint'] === 'string' &&
        /^[0-9a-f]{40,64}$/.test(v['fingerprint']);
}
