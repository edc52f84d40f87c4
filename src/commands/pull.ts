import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';
import { progressReporter } from '../cli/progress.js';
import { type MaxModuleSizeFlags, maxModuleSizeOf, maxModuleSizeOption } from '../cli/size-option.js';
import { addTrustOptions, type TrustFlags, trustSources } from '../cli/trust-options.js';
import { addTufReadOptions, type TufReadFlags, tufTrust } from '../cli/tuf-options.js';
import { signerText } from '../cli/verify-text.js';

interface PullFlags extends TrustFlags, MaxModuleSizeFlags, TufReadFlags {
  readonly registry: string;
  readonly output?: string;
  readonly plainHttp?: boolean;
}

export function register(program: Command, cli: Cli): void {
  addTrustOptions(
    addTufReadOptions(
      program
        .command('pull')
        .description('fetch a published bundle, check its digest and, with trust flags, verify it')
        .argument('<name[@version|@range]>', 'the plugin, e.g. dns-enum, dns-enum@1.2.0 or dns-enum@^1.2')
        .requiredOption(
          '--registry <reg>',
          'a folder or file:// URL, https://HOST/PATH/ (read-only), or oci://HOST[:PORT]/NAMESPACE',
        )
        .option('-o, --output <file>', 'where to write the bundle (default ./<name>-<version>.aurion)')
        .option('--plain-http', 'plain HTTP to a registry that is not on a loopback address (insecure)'),
    ),
  )
    .addOption(maxModuleSizeOption())
    .action(async (spec: string, flags: PullFlags) => {
      // Loaded when the command runs, not at start-up: each command pays only for its own modules.
      const [{ loadTrust }, { pullBundle }] = await Promise.all([
        import('../io/trust.js'),
        import('../ops/publish.js'),
      ]);
      const maxModuleSize = maxModuleSizeOf(flags);
      const trust = await loadTrust(trustSources(flags));
      const progress = progressReporter(cli.out, { verify: 'verifying', transfer: 'downloading' });
      let r: Awaited<ReturnType<typeof pullBundle>>;
      try {
        r = await pullBundle(spec, {
          registry: flags.registry,
          plainHttp: flags.plainHttp === true,
          env: cli.env,
          tuf: tufTrust(flags, cli.env),
          ...(trust === undefined ? {} : { trust }),
          ...(flags.output === undefined ? {} : { output: flags.output }),
          maxModuleSize,
          onProgress: progress.update,
        });
      } finally {
        progress.end();
      }
      const v = r.verification;
      cli.out.result(
        {
          bundle: r.bundle,
          sha256: r.sha256,
          name: r.name,
          version: r.version,
          registry: r.registry,
          signed: r.signed,
          ...(r.reference === undefined ? {} : { reference: r.reference, digest: r.digest }),
          ...(v === undefined ? {} : { verified: true, signer: v.signer }),
        },
        (d) =>
          [
            `${cli.out.style.green('pulled')} ${d.name}@${d.version} -> ${d.bundle}`,
            `sha256 ${d.sha256}`,
            d.signed
              ? 'registry metadata: signed (TUF), verified'
              : 'registry metadata: unsigned (no TUF root for this registry)',
            d.signer === undefined
              ? 'not verified (no trust flags given); run aurion-plugin verify before use'
              : `verified: signed by ${signerText(d.signer!)}`,
          ].join('\n'),
      );
    });
}
