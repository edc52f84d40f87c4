/**
 * Writing a directory registry's signed metadata (SPEC §11): `metadata/` beside index.json holds
 * `1.root.json`, `2.root.json`, …, `root.json` (a copy of the newest), `timestamp.json`, and
 * `<v>.snapshot.json` / `<v>.targets.json` (consistent snapshots), plus `aurion-expiry.json`, the validity
 * periods `registry init` was given (every later change uses them). Every change runs under the registry's
 * index lock (DirectoryRegistry.withLock, or publish's and yank's own hold of it).
 *
 * Why a crash never leaves metadata a client refuses: new versioned files (`<v>.targets.json`,
 * `<v>.snapshot.json`, `<v>.root.json`) are written first under names nothing refers to yet; `timestamp.json`
 * (or `root.json`) is then replaced by one atomic rename, the metadata's commit point; index.json is replaced
 * last (the registry's commit point). Before the timestamp rename a client sees the previous consistent set;
 * after it, the new one. `init` builds the whole folder under a temporary name and renames it into place.
 */
import { mkdir, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ed25519PrivateKey } from '../core/keys.js';
import {
  buildRoot,
  buildSnapshot,
  buildTargets,
  buildTimestamp,
  DEFAULT_PERIODS,
  expiresAt,
  formatDuration,
  type Metadata,
  MetadataKind,
  type Periods,
  parseDuration,
  parseMetadata,
  ROLE_NAMES,
  type RoleName,
  type Root,
  serializeMetadata,
  signMetadata,
  type TargetSpec,
  tufKey,
  tufKeyId,
} from '../core/tuf-meta.js';
import { AurionError, ioError } from '../errors.js';
import { INPUT_LIMITS, readSmallFile, readSmallFileIfExists } from '../io/files.js';
import {
  bundleFileName,
  isSignedRegistry,
  METADATA_DIR,
  PLUGINS_DIR,
  type RegistryIndex,
} from './directory.js';
import { disown, own, ownerIsDead, syncDir, tempName, tempOwner } from './scratch.js';
import { copyToNewFile } from './transfer.js';

export const EXPIRY_FILE = 'aurion-expiry.json';

/** The keys of the roles that change with every publish and yank. */
export interface OnlineKeys {
  readonly targets: Ed25519PrivateKey;
  readonly snapshot: Ed25519PrivateKey;
  readonly timestamp: Ed25519PrivateKey;
}

export interface InitOptions extends OnlineKeys {
  readonly rootKeys: readonly Ed25519PrivateKey[];
  readonly rootThreshold: number;
  readonly periods: Periods;
  readonly now: Date;
}

/** The signed targets of an index: every version that is not yanked, at its plain path. */
export function targetsOfIndex(index: RegistryIndex): TargetSpec[] {
  const targets: TargetSpec[] = [];
  for (const [name, versions] of Object.entries(index.plugins)) {
    for (const [version, e] of Object.entries(versions)) {
      if (e.yanked === true) continue;
      targets.push({
        path: `${PLUGINS_DIR}/${name}/${bundleFileName(name, version)}`,
        length: e.size,
        sha256: e.sha256,
        custom: {
          name,
          version,
          risk_class: e.risk_class,
          capabilities: [...e.capabilities],
          runtime: e.runtime,
          signer:
            e.key_id !== undefined
              ? { algorithm: 'ed25519', key_id: e.key_id }
              : { algorithm: 'openpgp', fingerprint: e.fingerprint! },
        },
      });
    }
  }
  return targets;
}

/** The current metadata of a signed registry, as its files say. */
interface Current {
  readonly root: Metadata<Root>;
  readonly timestampVersion: number;
  readonly snapshotVersion: number;
  readonly targetsVersion: number;
  readonly targets: readonly TargetSpec[];
  readonly periods: Periods;
}

export class TufRepository {
  readonly dir: string;

  constructor(readonly registryRoot: string) {
    this.dir = join(registryRoot, METADATA_DIR);
  }

  /** True when the registry has a `metadata/` entry of any kind (a signed registry). */
  exists(): Promise<boolean> {
    return isSignedRegistry(this.registryRoot);
  }

  /** Version 1 of every role, the index's versions as targets. ALREADY_EXISTS when `metadata/` exists. */
  async init(index: RegistryIndex, options: InitOptions): Promise<void> {
    if (await this.exists()) throw alreadySigned(this.dir);
    const { rootKeys, rootThreshold, periods, now } = options;
    const distinctRoot = new Set(rootKeys.map((k) => tufKeyId(k.publicKey)));
    if (!Number.isSafeInteger(rootThreshold) || rootThreshold < 1 || rootThreshold > distinctRoot.size) {
      throw new AurionError(
        'USAGE',
        `--root-threshold ${rootThreshold} needs at least that many different --root-key files (${distinctRoot.size} given)`,
        { hint: 'give one --root-key per root key holder, and a threshold between 1 and their number' },
      );
    }
    const root = buildRoot({
      version: 1,
      expires: expiresAt(now, periods.root),
      rootKeys: rootKeys.map((k) => k.publicKey),
      rootThreshold,
      roleKeys: {
        targets: [tufKey(options.targets.publicKey)],
        snapshot: [tufKey(options.snapshot.publicKey)],
        timestamp: [tufKey(options.timestamp.publicKey)],
      },
    });
    signMetadata(root, uniqueKeys(rootKeys));
    const files = new Map<string, Buffer>();
    files.set('1.root.json', serializeMetadata(root));
    files.set('root.json', serializeMetadata(root));
    for (const [name, bytes] of this.onlineFiles(targetsOfIndex(index), options, periods, now, 1, 1, 1)) {
      files.set(name, bytes);
    }
    files.set(EXPIRY_FILE, expiryFile(periods));

    const staging = tempName(this.registryRoot);
    own(staging);
    try {
      try {
        await mkdir(staging, { mode: 0o755 });
      } catch (e) {
        throw ioError(this.registryRoot, 'create registry metadata', e);
      }
      for (const [name, bytes] of files) await writeNew(join(staging, name), bytes);
      await syncDir(staging);
      if (await this.exists()) throw alreadySigned(this.dir);
      try {
        await rename(staging, this.dir);
      } catch (e) {
        throw ioError(this.dir, 'create registry metadata', e);
      }
      disown(staging);
      await syncDir(this.registryRoot);
    } finally {
      await rm(staging, { recursive: true, force: true }).catch(() => {});
      disown(staging);
    }
  }

  /**
   * Publish and yank: new targets (the index about to be committed), snapshot and timestamp versions. Called
   * under the index lock, before index.json is replaced.
   */
  async update(next: RegistryIndex, keys: OnlineKeys, now: Date): Promise<void> {
    const current = await this.current();
    checkRoleKeys(current.root, keys);
    await this.clean();
    const files = this.onlineFiles(
      targetsOfIndex(next),
      keys,
      current.periods,
      now,
      current.targetsVersion + 1,
      current.snapshotVersion + 1,
      current.timestampVersion + 1,
    );
    await this.commit(files);
  }

  /**
   * Re-signs before expiry (a cron job): always a new timestamp; with the snapshot key a new snapshot; with the
   * targets key (which needs the snapshot key too) new targets with the same target files.
   */
  async refresh(
    keys: { timestamp: Ed25519PrivateKey; snapshot?: Ed25519PrivateKey; targets?: Ed25519PrivateKey },
    now: Date,
  ): Promise<{ timestamp: number; snapshot: number; targets: number }> {
    if (keys.targets !== undefined && keys.snapshot === undefined) {
      throw new AurionError(
        'USAGE',
        'renewing the targets role needs the snapshot key too (--snapshot-key)',
        {
          hint: 'new targets metadata is named by a new snapshot: give --snapshot-key with --targets-key',
        },
      );
    }
    const current = await this.current();
    checkRoleKeys(current.root, keys);
    await this.clean();
    const { periods } = current;
    const files: [string, Buffer][] = [];
    let targetsVersion = current.targetsVersion;
    if (keys.targets !== undefined) {
      targetsVersion += 1;
      const targets = buildTargets(targetsVersion, expiresAt(now, periods.targets), current.targets);
      signMetadata(targets, [keys.targets]);
      files.push([`${targetsVersion}.targets.json`, serializeMetadata(targets)]);
    }
    let snapshotVersion = current.snapshotVersion;
    let snapshotBytes: Buffer;
    if (keys.snapshot !== undefined) {
      snapshotVersion += 1;
      const snapshot = buildSnapshot(snapshotVersion, expiresAt(now, periods.snapshot), targetsVersion);
      signMetadata(snapshot, [keys.snapshot]);
      snapshotBytes = serializeMetadata(snapshot);
      files.push([`${snapshotVersion}.snapshot.json`, snapshotBytes]);
    } else {
      snapshotBytes = await this.read(`${snapshotVersion}.snapshot.json`);
    }
    const timestamp = buildTimestamp(
      current.timestampVersion + 1,
      expiresAt(now, periods.timestamp),
      snapshotVersion,
      snapshotBytes,
    );
    signMetadata(timestamp, [keys.timestamp]);
    files.push(['timestamp.json', serializeMetadata(timestamp)]);
    await this.commit(files);
    return { timestamp: current.timestampVersion + 1, snapshot: snapshotVersion, targets: targetsVersion };
  }

  /**
   * `N+1.root.json` with the new root keys and threshold, signed by a threshold of the current root keys and by
   * every new key. USAGE for too few current root keys, KEY_INVALID for a given old key that is not one.
   */
  async rotateRoot(
    options: {
      newKeys: readonly Ed25519PrivateKey[];
      oldKeys: readonly Ed25519PrivateKey[];
      threshold?: number;
      now: Date;
    },
    check: (previous: Metadata<Root>, next: Metadata<Root>) => void,
  ): Promise<number> {
    const current = await this.current();
    const oldRoot = current.root;
    const rootRole = oldRoot.signed.roles['root']!;
    for (const key of options.oldKeys) {
      if (!rootRole.keyIDs.includes(tufKeyId(key.publicKey))) {
        throw new AurionError(
          'KEY_INVALID',
          `the --old-root-key with key id ${tufKeyId(key.publicKey)} is not a root key of version ${oldRoot.signed.version} of the registry's root`,
          { hint: `the current root keys are ${rootRole.keyIDs.join(', ')}; nothing was written` },
        );
      }
    }
    const oldDistinct = uniqueKeys(options.oldKeys);
    if (oldDistinct.length < rootRole.threshold) {
      throw new AurionError(
        'USAGE',
        `the current root needs ${rootRole.threshold} of its keys to sign a new root; ${oldDistinct.length} --old-root-key given`,
        { hint: 'give a threshold of the current root keys with --old-root-key; nothing was written' },
      );
    }
    const newDistinct = uniqueKeys(options.newKeys);
    const threshold = options.threshold ?? Math.min(rootRole.threshold, newDistinct.length);
    if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > newDistinct.length) {
      throw new AurionError(
        'USAGE',
        `--root-threshold ${threshold} needs at least that many different --root-key files (${newDistinct.length} given)`,
        { hint: 'give one --root-key per new root key holder; nothing was written' },
      );
    }
    const role = (name: Exclude<RoleName, 'root'>) =>
      oldRoot.signed.roles[name]!.keyIDs.map((id) => oldRoot.signed.keys[id]!);
    const version = oldRoot.signed.version + 1;
    const root = buildRoot({
      version,
      expires: expiresAt(options.now, current.periods.root),
      rootKeys: newDistinct.map((k) => k.publicKey),
      rootThreshold: threshold,
      roleKeys: { targets: role('targets'), snapshot: role('snapshot'), timestamp: role('timestamp') },
    });
    signMetadata(root, uniqueKeys([...oldDistinct, ...newDistinct]));
    check(oldRoot, root);
    await this.clean();
    const bytes = serializeMetadata(root);
    await this.commit([
      [`${version}.root.json`, bytes],
      ['root.json', bytes],
    ]);
    return version;
  }

  /** The files of new targets, snapshot and timestamp versions (timestamp last: the commit point). */
  private onlineFiles(
    targetList: readonly TargetSpec[],
    keys: OnlineKeys,
    periods: Periods,
    now: Date,
    targetsVersion: number,
    snapshotVersion: number,
    timestampVersion: number,
  ): [string, Buffer][] {
    const targets = buildTargets(targetsVersion, expiresAt(now, periods.targets), targetList);
    signMetadata(targets, [keys.targets]);
    const snapshot = buildSnapshot(snapshotVersion, expiresAt(now, periods.snapshot), targetsVersion);
    signMetadata(snapshot, [keys.snapshot]);
    const snapshotBytes = serializeMetadata(snapshot);
    const timestamp = buildTimestamp(
      timestampVersion,
      expiresAt(now, periods.timestamp),
      snapshotVersion,
      snapshotBytes,
    );
    signMetadata(timestamp, [keys.timestamp]);
    return [
      [`${targetsVersion}.targets.json`, serializeMetadata(targets)],
      [`${snapshotVersion}.snapshot.json`, snapshotBytes],
      ['timestamp.json', serializeMetadata(timestamp)],
    ];
  }

  /** Writes the files in order, each by an atomic rename; the last one is the commit point. */
  private async commit(files: readonly [string, Buffer][]): Promise<void> {
    for (const [name, bytes] of files) {
      const tmp = tempName(this.dir);
      own(tmp);
      try {
        await writeNew(tmp, bytes);
        try {
          await rename(tmp, join(this.dir, name));
        } catch (e) {
          throw ioError(join(this.dir, name), 'write registry metadata', e);
        }
        await syncDir(this.dir);
      } finally {
        await unlink(tmp).catch(() => {});
        disown(tmp);
      }
    }
  }

  /** Temporary files of dead writers of this host (a killed publish) are removed. */
  private async clean(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      throw ioError(this.dir, 'list registry metadata', e);
    }
    for (const name of names) {
      const owner = tempOwner(name);
      if (owner !== undefined && ownerIsDead(owner)) await unlink(join(this.dir, name)).catch(() => {});
    }
  }

  private async read(name: string): Promise<Buffer> {
    return readSmallFile(join(this.dir, name), 'registry metadata', INPUT_LIMITS.tufMetadata);
  }

  /** The newest root, the versions the timestamp and snapshot name, the targets, the recorded periods. */
  private async current(): Promise<Current> {
    if (!(await this.exists())) {
      throw new AurionError('USAGE', `registry ${this.registryRoot} has no signed metadata (${this.dir})`, {
        hint: 'sign the registry first: aurion-plugin registry init REG --root-key ... (docs/registry.md)',
      });
    }
    const root = parseMetadata(MetadataKind.Root, await this.read('root.json'), join(this.dir, 'root.json'));
    const timestamp = parseMetadata(
      MetadataKind.Timestamp,
      await this.read('timestamp.json'),
      join(this.dir, 'timestamp.json'),
    );
    const snapshotVersion = timestamp.signed.snapshotMeta.version;
    const snapshotName = `${snapshotVersion}.snapshot.json`;
    const snapshot = parseMetadata(
      MetadataKind.Snapshot,
      await this.read(snapshotName),
      join(this.dir, snapshotName),
    );
    const targetsVersion = snapshot.signed.meta['targets.json']?.version;
    if (targetsVersion === undefined) {
      throw new AurionError('REGISTRY_ERROR', `${join(this.dir, snapshotName)} names no targets.json`, {
        hint: 'restore the registry metadata from a backup',
      });
    }
    const targetsName = `${targetsVersion}.targets.json`;
    const targets = parseMetadata(
      MetadataKind.Targets,
      await this.read(targetsName),
      join(this.dir, targetsName),
    );
    const targetList: TargetSpec[] = Object.values(targets.signed.targets).map((t) => ({
      path: t.path,
      length: t.length,
      sha256: t.hashes['sha256'] ?? '',
      custom: t.custom as unknown as TargetSpec['custom'],
    }));
    return {
      root,
      timestampVersion: timestamp.signed.version,
      snapshotVersion,
      targetsVersion,
      targets: targetList,
      periods: await this.periods(),
    };
  }

  /** The periods `init` recorded; the defaults for a registry signed by other tools. */
  private async periods(): Promise<Periods> {
    const path = join(this.dir, EXPIRY_FILE);
    const bytes = await readSmallFileIfExists(path, 'registry expiry periods', INPUT_LIMITS.tufExpiry);
    if (bytes === undefined) return DEFAULT_PERIODS;
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      value = undefined;
    }
    const periods: Record<string, number> = {};
    for (const role of ROLE_NAMES) {
      const text = (value as Record<string, unknown> | undefined)?.[role];
      if (typeof text !== 'string') {
        throw new AurionError('REGISTRY_ERROR', `${path} gives no period for the ${role} role`, {
          hint: `write it as {"root": "365d", "targets": "90d", "snapshot": "90d", "timestamp": "1d"}`,
        });
      }
      periods[role] = parseDuration(text, `${path} ${role}`);
    }
    return periods as Periods;
  }
}

/** The recorded periods file. */
function expiryFile(periods: Periods): Buffer {
  const body = Object.fromEntries(ROLE_NAMES.map((r) => [r, formatDuration(periods[r])]));
  return Buffer.from(`${JSON.stringify(body, null, 2)}\n`);
}

function alreadySigned(dir: string): AurionError {
  return new AurionError('ALREADY_EXISTS', `${dir} already exists; the registry is already signed`, {
    hint: 'use aurion-plugin registry refresh or rotate-root to change its metadata',
  });
}

/** KEY_INVALID for a given key that is not the root's key for its role. */
function checkRoleKeys(root: Metadata<Root>, keys: Partial<Record<RoleName, Ed25519PrivateKey>>): void {
  for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
    const key = keys[role];
    if (key === undefined) continue;
    const id = tufKeyId(key.publicKey);
    const allowed = root.signed.roles[role]?.keyIDs ?? [];
    if (!allowed.includes(id)) {
      throw new AurionError(
        'KEY_INVALID',
        `the ${role} key given (key id ${id}) is not the ${role} key of the registry's root (version ${root.signed.version})`,
        { hint: `the registry's ${role} key id is ${allowed.join(', ') || 'not set'}; nothing was written` },
      );
    }
  }
}

function uniqueKeys(keys: readonly Ed25519PrivateKey[]): Ed25519PrivateKey[] {
  const seen = new Map<string, Ed25519PrivateKey>();
  for (const k of keys) seen.set(tufKeyId(k.publicKey), k);
  return [...seen.values()];
}

async function writeNew(path: string, bytes: Buffer): Promise<void> {
  await copyToNewFile([bytes], path, { what: path, target: path });
}
