import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';
import { progressReporter } from '../cli/progress.js';
import { type MaxModuleSizeFlags, maxModuleSizeOf, maxModuleSizeOption } from '../cli/size-option.js';
import { addTrustOptions, type TrustFlags, trustSources } from '../cli/trust-options.js';
import { addTufKeyOptions, type TufKeyFlags, tufWriter } from '../cli/tuf-options.js';

interface PublishFlags extends TrustFlags, MaxModuleSizeFlags, TufKeyFlags {
  readonly registry: string;
  readonly plainHttp?: boolean;
}

export function register(program: Command, cli: Cli): void {
  addTrustOptions(
    addTufKeyOptions(
      program
        .command('publish')
        .description('verify a signed bundle and publish it to a directory or OCI registry')
        .argument('<bundle>', 'the bundle file (.aurion)')
        .requiredOption('--registry <reg>', 'a folder or file:// URL, or oci://HOST[:PORT]/NAMESPACE')
        .option('--plain-http', 'plain HTTP to an OCI registry that is not on localhost (insecure)'),
      false,
    ),
  )
    .addOption(maxModuleSizeOption())
    .action(async (bundle: string, flags: PublishFlags) => {
      // Loaded when the command runs, not at start-up: each command pays only for its own modules.
      const [{ loadTrust }, { publishBundle }] = await Promise.all([
        import('../io/trust.js'),
        import('../ops/publish.js'),
      ]);
      const maxModuleSize = maxModuleSizeOf(flags);
      const trust = await loadTrust(trustSources(flags));
      const signer = await tufWriter(flags, cli.env);
      const progress = progressReporter(cli.out, { verify: 'verifying', transfer: 'publishing' });
      let r: Awaited<ReturnType<typeof publishBundle>>;
      try {
        r = await publishBundle(bundle, {
          registry: flags.registry,
          plainHttp: flags.plainHttp === true,
          env: cli.env,
          signer,
          ...(trust === undefined ? {} : { trust }),
          maxModuleSize,
          onProgress: progress.update,
        });
      } finally {
        progress.end();
      }
      const oci = r.reference === undefined ? {} : { reference: r.reference, digest: r.digest };
      cli.out.result(
        {
          name: r.name,
          version: r.version,
          registry: r.registry,
          sha256: r.sha256,
          changed: r.changed,
          ...oci,
        },
        (d) => {
          const what = `${d.name}@${d.version}`;
          const where = d.reference ?? d.registry;
          return d.changed
            ? `${cli.out.style.green('published')} ${what} to ${where}\nsha256 ${d.sha256}${d.digest === undefined ? '' : `\ndigest ${d.digest}`}`
            : `${what} is already published in ${where} with the same content (sha256 ${d.sha256}); nothing changed`;
        },
      );
    });
}
