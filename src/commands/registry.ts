import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface CommonFlags {
  readonly passphraseFile?: string;
}

interface InitFlags extends CommonFlags {
  readonly rootKey?: string[];
  readonly rootThreshold?: string;
  readonly targetsKey?: string;
  readonly snapshotKey?: string;
  readonly timestampKey?: string;
  readonly rootExpires?: string;
  readonly targetsExpires?: string;
  readonly snapshotExpires?: string;
  readonly timestampExpires?: string;
}

interface RefreshFlags extends CommonFlags {
  readonly targetsKey?: string;
  readonly snapshotKey?: string;
  readonly timestampKey?: string;
}

interface RotateFlags extends CommonFlags {
  readonly rootKey?: string[];
  readonly oldRootKey?: string[];
  readonly rootThreshold?: string;
}

async function keyTools() {
  const [{ loadTufKeyFiles, loadTufRoleKey, tufKeyVariable }, { resolvePassphrase }, { AurionError }] =
    await Promise.all([import('../io/tuf-keys.js'), import('../io/signing-keys.js'), import('../errors.js')]);
  return { loadTufKeyFiles, loadTufRoleKey, tufKeyVariable, resolvePassphrase, AurionError };
}

function threshold(text: string | undefined, AurionError: typeof import('../errors.js').AurionError) {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,2}$/.test(text)) {
    throw new AurionError('USAGE', `--root-threshold "${text}" is not a positive whole number`);
  }
  return Number(text);
}

export function register(program: Command, cli: Cli): void {
  const registry = program
    .command('registry')
    .description("sign a directory registry's metadata with TUF: init, refresh, rotate-root");

  registry
    .command('init')
    .description('sign a directory registry: version 1 of every TUF role')
    .argument('<reg>', 'the registry folder')
    .option('--root-key <file>', 'a root key (repeatable; keep root keys offline)', collect)
    .option('--root-threshold <n>', 'how many root keys must sign a new root (default 1)')
    .option('--targets-key <file>', 'the targets role key (else AURION_TUF_TARGETS_KEY)')
    .option('--snapshot-key <file>', 'the snapshot role key (else AURION_TUF_SNAPSHOT_KEY)')
    .option('--timestamp-key <file>', 'the timestamp role key (else AURION_TUF_TIMESTAMP_KEY)')
    .option('--root-expires <duration>', 'root validity (default 365d)')
    .option('--targets-expires <duration>', 'targets validity (default 90d)')
    .option('--snapshot-expires <duration>', 'snapshot validity (default 90d)')
    .option('--timestamp-expires <duration>', 'timestamp validity (default 1d)')
    .option('--passphrase-file <file>', 'passphrase of encrypted keys (else AURION_KEY_PASSPHRASE)')
    .action(async (reg: string, flags: InitFlags) => {
      const t = await keyTools();
      const { parseDuration } = await import('../core/tuf-meta.js');
      const { initSignedRegistry } = await import('../ops/registry-admin.js');
      const periods: Record<string, number> = {};
      for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
        const text = flags[`${role}Expires`];
        if (text !== undefined) periods[role] = parseDuration(text, `--${role}-expires`);
      }
      const passphrase = await t.resolvePassphrase(flags.passphraseFile, cli.env);
      const rootFiles = flags.rootKey ?? [];
      const rootKeys = await t.loadTufKeyFiles(rootFiles, passphrase);
      const envRoot = await t.loadTufRoleKey(
        'root',
        undefined,
        rootFiles.length > 0 ? {} : cli.env,
        passphrase,
      );
      if (envRoot !== undefined) rootKeys.push(envRoot);
      const roles = {} as Record<
        'targets' | 'snapshot' | 'timestamp',
        Awaited<ReturnType<typeof t.loadTufRoleKey>>
      >;
      for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
        roles[role] = await t.loadTufRoleKey(role, flags[`${role}Key`], cli.env, passphrase);
      }
      const missing = [
        ...(rootKeys.length === 0 ? ['root'] : []),
        ...(['targets', 'snapshot', 'timestamp'] as const).filter((r) => roles[r] === undefined),
      ];
      if (missing.length > 0) {
        throw new t.AurionError(
          'USAGE',
          `registry init needs a key for every role; missing: ${missing.join(', ')}`,
          {
            hint: `give ${missing.map((r) => `--${r}-key FILE`).join(', ')} (or ${missing.map((r) => t.tufKeyVariable(r as 'root')).join(', ')}); nothing was written`,
          },
        );
      }
      const r = await initSignedRegistry(reg, {
        rootKeys,
        rootThreshold: threshold(flags.rootThreshold, t.AurionError) ?? 1,
        targets: roles.targets!,
        snapshot: roles.snapshot!,
        timestamp: roles.timestamp!,
        periods,
      });
      cli.out.result({ registry: reg, metadata: r.metadata }, () =>
        [
          `${cli.out.style.green('signed')} registry ${reg}: TUF metadata in ${r.metadata}`,
          `give clients ${r.metadata}/1.root.json out of band (pull --tuf-root FILE); keep the root keys offline`,
        ].join('\n'),
      );
    });

  registry
    .command('refresh')
    .description('re-sign the timestamp (and snapshot, targets) before they expire, e.g. from cron')
    .argument('<reg>', 'the registry folder')
    .option('--timestamp-key <file>', 'the timestamp role key (else AURION_TUF_TIMESTAMP_KEY)')
    .option('--snapshot-key <file>', 'also renew the snapshot (else AURION_TUF_SNAPSHOT_KEY)')
    .option(
      '--targets-key <file>',
      'also renew the targets (else AURION_TUF_TARGETS_KEY; needs the snapshot key)',
    )
    .option('--passphrase-file <file>', 'passphrase of encrypted keys (else AURION_KEY_PASSPHRASE)')
    .action(async (reg: string, flags: RefreshFlags) => {
      const t = await keyTools();
      const { refreshSignedRegistry } = await import('../ops/registry-admin.js');
      const passphrase = await t.resolvePassphrase(flags.passphraseFile, cli.env);
      const timestamp = await t.loadTufRoleKey('timestamp', flags.timestampKey, cli.env, passphrase);
      if (timestamp === undefined) {
        throw new t.AurionError('USAGE', 'registry refresh needs the timestamp key', {
          hint: 'give --timestamp-key FILE or set AURION_TUF_TIMESTAMP_KEY; nothing was written',
        });
      }
      const snapshot = await t.loadTufRoleKey('snapshot', flags.snapshotKey, cli.env, passphrase);
      const targets = await t.loadTufRoleKey('targets', flags.targetsKey, cli.env, passphrase);
      const r = await refreshSignedRegistry(reg, {
        timestamp,
        ...(snapshot === undefined ? {} : { snapshot }),
        ...(targets === undefined ? {} : { targets }),
      });
      cli.out.result(
        { registry: reg, versions: r },
        () =>
          `${cli.out.style.green('refreshed')} ${reg}: timestamp ${r.timestamp}, snapshot ${r.snapshot}, targets ${r.targets}`,
      );
    });

  registry
    .command('rotate-root')
    .description('write the next root version: new root keys, signed by a threshold of the old and the new')
    .argument('<reg>', 'the registry folder')
    .option('--root-key <file>', 'a key of the new root (repeatable)', collect)
    .option('--old-root-key <file>', 'a key of the current root (repeatable; a threshold of them)', collect)
    .option('--root-threshold <n>', "the new root's threshold (default: the current one)")
    .option('--passphrase-file <file>', 'passphrase of encrypted keys (else AURION_KEY_PASSPHRASE)')
    .action(async (reg: string, flags: RotateFlags) => {
      const t = await keyTools();
      const { rotateRegistryRoot } = await import('../ops/registry-admin.js');
      if ((flags.rootKey ?? []).length === 0) {
        throw new t.AurionError(
          'USAGE',
          'rotate-root needs the new root keys (--root-key FILE, repeatable)',
          {
            hint: 'give the same keys again to renew the root before it expires; nothing was written',
          },
        );
      }
      const passphrase = await t.resolvePassphrase(flags.passphraseFile, cli.env);
      const newKeys = await t.loadTufKeyFiles(flags.rootKey ?? [], passphrase);
      const oldKeys = await t.loadTufKeyFiles(flags.oldRootKey ?? [], passphrase);
      const n = threshold(flags.rootThreshold, t.AurionError);
      const r = await rotateRegistryRoot(reg, {
        newKeys,
        oldKeys,
        ...(n === undefined ? {} : { threshold: n }),
      });
      cli.out.result(
        { registry: reg, root_version: r.version },
        () =>
          `${cli.out.style.green('rotated')} the root of ${reg}: version ${r.version} (metadata/${r.version}.root.json)`,
      );
    });
}
