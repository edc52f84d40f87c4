import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';
import type { Progress } from '../cli/output.js';
import { type MaxModuleSizeFlags, maxModuleSizeOf, maxModuleSizeOption } from '../cli/size-option.js';

interface SignFlags extends MaxModuleSizeFlags {
  readonly output?: string;
  readonly key?: string;
  readonly pgpKey?: string;
  readonly passphraseFile?: string;
  readonly force?: boolean;
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
      const [{ loadSigningKeys }, { signBundle }] = await Promise.all([
        import('../io/signing-keys.js'),
        import('../ops/sign.js'),
      ]);
      const maxModuleSize = maxModuleSizeOf(flags);
      const { key, pgpKey } = await loadSigningKeys({
        ...(flags.key === undefined ? {} : { keyFile: flags.key }),
        ...(flags.pgpKey === undefined ? {} : { pgpKeyFile: flags.pgpKey }),
        ...(flags.passphraseFile === undefined ? {} : { passphraseFile: flags.passphraseFile }),
        env: cli.env,
      });
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
