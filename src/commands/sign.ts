import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';
import type { Progress } from '../cli/output.js';
import { type MaxModuleSizeFlags, maxModuleSizeOf, maxModuleSizeOption } from '../cli/size-option.js';
import type { Ed25519PrivateKey } from '../core/keys.js';
import type { PgpPrivateKey } from '../core/pgp.js';
import { readSmallFile } from '../io/files.js';
import { resolvePassphrase } from './keygen.js';

interface SignFlags extends MaxModuleSizeFlags {
  readonly output?: string;
  readonly key?: string;
  readonly pgpKey?: string;
  readonly passphraseFile?: string;
  readonly force?: boolean;
}

/** Key text from a file (IO_ERROR when it cannot be read) or from an environment variable; empty is unset. */
async function keySource(
  file: string | undefined,
  envName: string,
  env: NodeJS.ProcessEnv,
): Promise<{ bytes: Uint8Array; source: string } | undefined> {
  if (file !== undefined) return { bytes: await readSmallFile(file, 'key', 1024 * 1024), source: file };
  const text = env[envName];
  return text === undefined || text === ''
    ? undefined
    : { bytes: new TextEncoder().encode(text), source: envName };
}

export function register(program: Command, cli: Cli): void {
  program
    .command('sign')
    .description(
      'sign a bundle: signature.ed25519 (Ed25519) and/or signature.asc (OpenPGP, container bundles)',
    )
    .argument('<bundle>', 'the bundle to sign (rewritten in place, atomically, unless -o is given)')
    .option('-o, --output <file>', 'write the signed bundle to FILE instead')
    .option('--key <file>', 'Ed25519 private key, PKCS#8 PEM (default: the PEM text in AURION_SIGNING_KEY)')
    .option(
      '--pgp-key <file>',
      'OpenPGP private key, armored (default: AURION_PGP_KEY); container bundles only',
    )
    .option('--passphrase-file <file>', 'passphrase of an encrypted key (default: AURION_KEY_PASSPHRASE)')
    .option('--force', 'replace an existing signature of the same kind')
    .addOption(maxModuleSizeOption())
    .action(async (path: string, flags: SignFlags) => {
      // Loaded when the command runs, not at start-up: each command pays only for its own modules.
      const [{ loadPrivateKey }, { signBundle }] = await Promise.all([
        import('../core/keys.js'),
        import('../core/sign.js'),
      ]);
      const maxModuleSize = maxModuleSizeOf(flags);
      // Explicit key flags replace the environment entirely, so a CI-wide variable never adds a signature.
      const fromFlags = flags.key !== undefined || flags.pgpKey !== undefined;
      const env = fromFlags ? {} : cli.env;
      const ed = await keySource(flags.key, 'AURION_SIGNING_KEY', env);
      const pgpSource = await keySource(flags.pgpKey, 'AURION_PGP_KEY', env);
      const passphrase =
        ed === undefined && pgpSource === undefined
          ? undefined
          : await resolvePassphrase(flags.passphraseFile, cli.env);
      const key: Ed25519PrivateKey | undefined =
        ed === undefined ? undefined : loadPrivateKey(ed.bytes, passphrase, ed.source);
      let pgpKey: PgpPrivateKey | undefined;
      if (pgpSource !== undefined) {
        const pgp = await import('../core/pgp.js');
        pgpKey = await pgp.loadPgpPrivateKey(pgpSource.bytes, passphrase, pgpSource.source);
      }
      let progress: Progress | undefined;
      let started = false;
      let result: Awaited<ReturnType<typeof signBundle>>;
      try {
        result = await signBundle(path, {
          ...(key === undefined ? {} : { key }),
          ...(pgpKey === undefined ? {} : { pgpKey }),
          ...(flags.output === undefined ? {} : { out: flags.output }),
          maxModuleSize,
          force: flags.force === true,
          onProgress: (done, total) => {
            if (!started) {
              started = true;
              progress = cli.out.progress('reading', total);
            }
            progress?.update(done);
          },
        });
      } finally {
        progress?.end();
      }
      cli.out.result(
        {
          bundle: result.bundle,
          sha256: result.sha256,
          ...(result.keyId === undefined ? {} : { key_id: result.keyId }),
          ...(result.fingerprint === undefined ? {} : { fingerprint: result.fingerprint }),
        },
        (d) =>
          [
            `${cli.out.style.green('signed')} ${d.bundle}`,
            ...(d.key_id === undefined ? [] : [`  Ed25519 key id: ${d.key_id}`]),
            ...(d.fingerprint === undefined ? [] : [`  OpenPGP fingerprint: ${d.fingerprint}`]),
            `  sha256: ${d.sha256}`,
          ].join('\n'),
      );
    });
}
