/** The TUF flags of pull and list (reading) and of publish, yank and registry (writing), SPEC §11. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { AurionError } from '../errors.js';
import type { SignedWriter } from '../registry/catalog.js';
import type { TufTrust } from '../registry/tuf-client.js';

export interface TufReadFlags {
  readonly tufRoot?: string;
  readonly tufCache?: string;
}

export function addTufReadOptions(command: Command): Command {
  return command
    .option(
      '--tuf-root <file>',
      "verify through TUF from this trusted root (the registry's 1.root.json, out of band)",
    )
    .option(
      '--tuf-cache <dir>',
      'trusted TUF metadata per registry (default $XDG_CACHE_HOME/aurion-plugin/tuf)',
    );
}

/**
 * The cache folder: --tuf-cache, else $XDG_CACHE_HOME/aurion-plugin/tuf, else ~/.cache/aurion-plugin/tuf.
 * Without any of them there is no cache: a registry is then read through TUF only with --tuf-root, which
 * then needs --tuf-cache (USAGE).
 */
export function tufTrust(flags: TufReadFlags, env: NodeJS.ProcessEnv): TufTrust | undefined {
  let cacheDir = flags.tufCache;
  if (cacheDir === undefined) {
    const xdg = env['XDG_CACHE_HOME'];
    const home = env['HOME'];
    const base =
      xdg !== undefined && xdg !== ''
        ? xdg
        : home !== undefined && home !== ''
          ? join(home, '.cache')
          : undefined;
    if (base === undefined) {
      if (flags.tufRoot === undefined) return undefined;
      throw new AurionError('USAGE', 'no TUF cache folder: neither XDG_CACHE_HOME nor HOME is set', {
        hint: 'give --tuf-cache DIR',
      });
    }
    cacheDir = join(base, 'aurion-plugin', 'tuf');
  }
  return { cacheDir, ...(flags.tufRoot === undefined ? {} : { rootFile: flags.tufRoot }) };
}

export interface TufKeyFlags {
  readonly targetsKey?: string;
  readonly snapshotKey?: string;
  readonly timestampKey?: string;
  readonly passphraseFile?: string;
}

export function addTufKeyOptions(command: Command, passphrase = true): Command {
  const c = command
    .option('--targets-key <file>', 'a signed registry: the targets role key (else AURION_TUF_TARGETS_KEY)')
    .option(
      '--snapshot-key <file>',
      'a signed registry: the snapshot role key (else AURION_TUF_SNAPSHOT_KEY)',
    )
    .option(
      '--timestamp-key <file>',
      'a signed registry: the timestamp role key (else AURION_TUF_TIMESTAMP_KEY)',
    );
  return passphrase
    ? c.option('--passphrase-file <file>', 'passphrase of encrypted role keys (else AURION_KEY_PASSPHRASE)')
    : c;
}

/** The online role keys given (files, else environment); the registry says which it needs. */
export async function tufWriter(flags: TufKeyFlags, env: NodeJS.ProcessEnv): Promise<SignedWriter> {
  const { loadTufRoleKey } = await import('../io/tuf-keys.js');
  const { resolvePassphrase } = await import('../io/signing-keys.js');
  const passphrase = await resolvePassphrase(flags.passphraseFile, env);
  const keys: Record<string, Awaited<ReturnType<typeof loadTufRoleKey>>> = {};
  for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
    const file = flags[`${role}Key`];
    const key = await loadTufRoleKey(role, file, env, passphrase);
    if (key !== undefined) keys[role] = key;
  }
  return { keys };
}
