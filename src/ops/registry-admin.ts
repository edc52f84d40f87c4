/**
 * Operating a directory registry (SPEC §11): `list`, `yank`, and the signed metadata's `registry init`,
 * `registry refresh` and `registry rotate-root`. Every change runs under the registry's one index lock.
 */
import { mkdir } from 'node:fs/promises';
import type { Ed25519PrivateKey } from '../core/keys.js';
import { DEFAULT_PERIODS, type Periods } from '../core/tuf-meta.js';
import { AurionError, ioError } from '../errors.js';
import type { Listing, SignedWriter } from '../registry/catalog.js';
import { DirectoryRegistry } from '../registry/directory.js';
import { parsePluginRef, parseRegistryRef } from '../registry/reference.js';
import { type OpenRegistryOptions, openRegistry } from '../registry/registry.js';
import { TufRepository } from '../registry/tuf-repo.js';

/** Every version (or those of one plugin) that is not yanked; with TUF only the signed targets. */
export async function listRegistry(
  location: string,
  name: string | undefined,
  options: OpenRegistryOptions = {},
): Promise<Listing> {
  const registry = openRegistry(location, options);
  try {
    return await registry.list(name);
  } finally {
    await registry.close();
  }
}

/** Yanks NAME@VERSION: no longer signed, resolved or listed; the file stays. false: it already was yanked. */
export async function yankVersion(
  location: string,
  spec: string,
  options: OpenRegistryOptions & { readonly signer?: SignedWriter; readonly now?: Date } = {},
): Promise<{ name: string; version: string; changed: boolean }> {
  const { name, version } = parsePluginRef(spec);
  const registry = openRegistry(location, options);
  try {
    const changed = await registry.yank(name, version, { now: options.now ?? new Date() });
    return { name, version, changed };
  } finally {
    await registry.close();
  }
}

/** The folder of a directory registry given on the command line; USAGE for any other kind. */
function directoryOf(location: string, command: string): DirectoryRegistry {
  const ref = parseRegistryRef(location);
  if (ref.kind !== 'directory') {
    throw new AurionError(
      'USAGE',
      `${command} works on a directory registry on this file system, not ${location}`,
      {
        hint: 'give the registry folder (the one that holds index.json)',
      },
    );
  }
  return new DirectoryRegistry(ref.path);
}

export interface InitRegistryOptions {
  readonly rootKeys: readonly Ed25519PrivateKey[];
  readonly rootThreshold: number;
  readonly targets: Ed25519PrivateKey;
  readonly snapshot: Ed25519PrivateKey;
  readonly timestamp: Ed25519PrivateKey;
  readonly periods?: Partial<Periods>;
  readonly now?: Date;
}

/** `registry init`: version 1 of every role; the index's versions become targets. */
export async function initSignedRegistry(
  location: string,
  options: InitRegistryOptions,
): Promise<{ metadata: string }> {
  const registry = directoryOf(location, 'registry init');
  try {
    await mkdir(registry.root, { recursive: true });
  } catch (e) {
    throw ioError(registry.root, 'create registry', e);
  }
  const repo = new TufRepository(registry.root);
  await registry.withLock(async () => {
    await repo.init(await registry.readIndex(), {
      ...options,
      periods: { ...DEFAULT_PERIODS, ...options.periods },
      now: options.now ?? new Date(),
    });
  });
  return { metadata: repo.dir };
}

/** `registry refresh`: a new timestamp (and snapshot, targets with their keys), for a cron job. */
export async function refreshSignedRegistry(
  location: string,
  keys: { timestamp: Ed25519PrivateKey; snapshot?: Ed25519PrivateKey; targets?: Ed25519PrivateKey },
  now: Date = new Date(),
): Promise<{ timestamp: number; snapshot: number; targets: number }> {
  const registry = directoryOf(location, 'registry refresh');
  const repo = new TufRepository(registry.root);
  return registry.withLock(() => repo.refresh(keys, now));
}

/** `registry rotate-root`: N+1.root.json signed by a threshold of the old keys and by the new ones. */
export async function rotateRegistryRoot(
  location: string,
  options: {
    newKeys: readonly Ed25519PrivateKey[];
    oldKeys: readonly Ed25519PrivateKey[];
    threshold?: number;
    now?: Date;
  },
): Promise<{ version: number }> {
  const registry = directoryOf(location, 'registry rotate-root');
  const repo = new TufRepository(registry.root);
  const version = await registry.withLock(() =>
    repo.rotateRoot({ ...options, now: options.now ?? new Date() }, (previous, next) => {
      // What every client will check: the new root is signed by a threshold of the old and of the new keys.
      previous.verifyDelegate('root', next);
      next.verifyDelegate('root', next);
    }),
  );
  return { version };
}
