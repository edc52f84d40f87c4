/**
 * TUF 1.0 metadata of a signed directory registry (SPEC §11), built and signed in memory with @tufjs/models:
 * Ed25519 keys (`keytype`/`scheme` `ed25519`, `keyval.public` hex), key ids as the specification defines them
 * (SHA-256 of the canonical JSON of the key), signatures over the OLPC canonical JSON of `signed`
 * (Metadata.sign), consistent snapshots for metadata, targets at their plain paths. Nothing here touches files:
 * src/registry/tuf-repo.ts decides what to write and when.
 */
import { createHash } from 'node:crypto';
import { canonicalize } from '@tufjs/canonical-json';
import {
  Key,
  Metadata,
  MetadataKind,
  MetaFile,
  Root,
  Signature,
  Snapshot,
  TargetFile,
  Targets,
  Timestamp,
} from '@tufjs/models';
// Role is not re-exported by the package index (4.x); its module is part of the published dist.
import { Role } from '@tufjs/models/dist/role.js';
import { AurionError } from '../errors.js';
import { signEd25519 } from './ed25519.js';
import type { Ed25519PrivateKey, Ed25519PublicKey } from './keys.js';
import { parseDuration as parseDurationMs } from './time.js';

export { Metadata, MetadataKind, type Root, type Snapshot, type Targets, type Timestamp };

/** The TUF specification version the metadata declares. */
export const SPEC_VERSION = '1.0.31';

export type RoleName = 'root' | 'targets' | 'snapshot' | 'timestamp';
export const ROLE_NAMES: readonly RoleName[] = ['root', 'targets', 'snapshot', 'timestamp'];

/** How long each role's metadata stays valid, in seconds. */
export type Periods = Readonly<Record<RoleName, number>>;

const DAY = 86_400;
/** SPEC §11 defaults: root 365 days, targets and snapshot 90 days, timestamp 1 day. */
export const DEFAULT_PERIODS: Periods = {
  root: 365 * DAY,
  targets: 90 * DAY,
  snapshot: 90 * DAY,
  timestamp: DAY,
};

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: DAY };

/** `<n>s|m|h|d` to seconds (SPEC §11), by the one duration parser (src/core/time.ts); USAGE for anything else,
 * zero, or more than 100 years. */
export function parseDuration(text: string, what: string): number {
  const millis = parseDurationMs(text);
  const seconds = millis === undefined ? Number.NaN : millis / 1000;
  if (!(seconds > 0) || seconds > 100 * 365 * DAY) {
    throw new AurionError('USAGE', `${what} "${text}" is not a duration`, {
      hint: 'write a whole number and a unit: 30s, 15m, 12h, 90d (at most 100 years)',
    });
  }
  return seconds;
}

/** Seconds as the shortest `<n>s|m|h|d`. */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit]!;
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** `now + seconds` as TUF writes times: RFC 3339 UTC to the second. */
export function expiresAt(now: Date, seconds: number): string {
  return `${new Date(Math.floor(now.getTime() / 1000) * 1000 + seconds * 1000).toISOString().slice(0, 19)}Z`;
}

/** The TUF key object of an Ed25519 public key, with its key id. */
export function tufKey(key: Ed25519PublicKey): Key {
  const body = {
    keytype: 'ed25519',
    scheme: 'ed25519',
    keyval: { public: Buffer.from(key.raw).toString('hex') },
  };
  const keyID = createHash('sha256').update(canonicalize(body)).digest('hex');
  return new Key({ keyID, keyType: body.keytype, scheme: body.scheme, keyVal: body.keyval });
}

/** The TUF key id of an Ed25519 public key (64 hex digits). */
export function tufKeyId(key: Ed25519PublicKey): string {
  return tufKey(key).keyID;
}

/** Adds a signature of each key (one per distinct key) over the canonical JSON of `signed`. */
export function signMetadata(
  md: Metadata<Root | Targets | Snapshot | Timestamp>,
  keys: readonly Ed25519PrivateKey[],
) {
  for (const key of keys) {
    const keyID = tufKeyId(key.publicKey);
    md.sign((bytes) => new Signature({ keyID, sig: Buffer.from(signEd25519(key, bytes)).toString('hex') }));
  }
}

/** The metadata file's bytes: the JSON form (signatures are over the canonical form of `signed`, not these). */
export function serializeMetadata(md: Metadata<Root | Targets | Snapshot | Timestamp>): Buffer {
  return Buffer.from(`${JSON.stringify(md.toJSON(), null, 2)}\n`);
}

export interface RootSpec {
  readonly version: number;
  readonly expires: string;
  readonly rootKeys: readonly Ed25519PublicKey[];
  readonly rootThreshold: number;
  /** The keys of the other roles, unchanged by a root rotation. */
  readonly roleKeys: Readonly<Record<Exclude<RoleName, 'root'>, readonly Key[]>>;
}

/** A root with consistent snapshots, the given root keys and threshold, threshold 1 for the other roles. */
export function buildRoot(spec: RootSpec): Metadata<Root> {
  const keys: Record<string, Key> = {};
  const roleOf = (list: readonly Key[], threshold: number) => {
    const ids = [...new Set(list.map((k) => k.keyID))];
    for (const k of list) keys[k.keyID] = k;
    return new Role({ keyIDs: ids, threshold });
  };
  const roles = {
    root: roleOf(spec.rootKeys.map(tufKey), spec.rootThreshold),
    targets: roleOf(spec.roleKeys.targets, 1),
    snapshot: roleOf(spec.roleKeys.snapshot, 1),
    timestamp: roleOf(spec.roleKeys.timestamp, 1),
  };
  return new Metadata(
    new Root({
      version: spec.version,
      specVersion: SPEC_VERSION,
      expires: spec.expires,
      keys,
      roles,
      consistentSnapshot: true,
    }),
  );
}

/** One signed target: a bundle file by its path relative to the registry root, with SPEC §11's custom fields. */
export interface TargetSpec {
  readonly path: string;
  readonly length: number;
  readonly sha256: string;
  readonly custom: {
    readonly name: string;
    readonly version: string;
    readonly risk_class: string;
    readonly capabilities: readonly string[];
    readonly runtime: string;
    readonly signer:
      | { readonly algorithm: 'ed25519'; readonly key_id: string }
      | { readonly algorithm: 'openpgp'; readonly fingerprint: string };
  };
}

export function buildTargets(
  version: number,
  expires: string,
  targets: readonly TargetSpec[],
): Metadata<Targets> {
  const map: Record<string, TargetFile> = {};
  for (const t of targets) {
    map[t.path] = new TargetFile({
      path: t.path,
      length: t.length,
      hashes: { sha256: t.sha256 },
      unrecognizedFields: { custom: JSON.parse(JSON.stringify(t.custom)) },
    });
  }
  return new Metadata(new Targets({ version, specVersion: SPEC_VERSION, expires, targets: map }));
}

export function buildSnapshot(version: number, expires: string, targetsVersion: number): Metadata<Snapshot> {
  return new Metadata(
    new Snapshot({
      version,
      specVersion: SPEC_VERSION,
      expires,
      meta: { 'targets.json': new MetaFile({ version: targetsVersion }) },
    }),
  );
}

/** The timestamp names the snapshot by version, length and SHA-256 of its file. */
export function buildTimestamp(
  version: number,
  expires: string,
  snapshotVersion: number,
  snapshotBytes: Uint8Array,
): Metadata<Timestamp> {
  return new Metadata(
    new Timestamp({
      version,
      specVersion: SPEC_VERSION,
      expires,
      snapshotMeta: new MetaFile({
        version: snapshotVersion,
        length: snapshotBytes.length,
        hashes: { sha256: createHash('sha256').update(snapshotBytes).digest('hex') },
      }),
    }),
  );
}

/** Parses metadata of one role; `what` names the file in the REGISTRY_ERROR a malformed one is. */
export function parseMetadata<K extends MetadataKind>(kind: K, bytes: Uint8Array, what: string) {
  let md: Metadata<Root | Targets | Snapshot | Timestamp>;
  try {
    // biome-ignore lint/suspicious/noExplicitAny: fromJSON's overloads are per literal kind
    md = Metadata.fromJSON(kind as any, JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch (e) {
    throw new AurionError(
      'REGISTRY_ERROR',
      `${what} is not valid TUF ${kind} metadata: ${(e as Error).message}`,
      {
        hint: 'restore the registry metadata from a backup',
      },
    );
  }
  return md as Metadata<
    K extends MetadataKind.Root
      ? Root
      : K extends MetadataKind.Targets
        ? Targets
        : K extends MetadataKind.Snapshot
          ? Snapshot
          : Timestamp
  >;
}
