import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';
import { addTufReadOptions, type TufReadFlags, tufTrust } from '../cli/tuf-options.js';

interface ListFlags extends TufReadFlags {
  readonly registry: string;
  readonly plainHttp?: boolean;
}

export function register(program: Command, cli: Cli): void {
  addTufReadOptions(
    program
      .command('list')
      .description("list a directory registry's plugins and versions (signed targets only, with TUF)")
      .argument('[name]', 'only this plugin')
      .requiredOption('--registry <reg>', 'a folder or file:// URL, or https://HOST/PATH/ (read-only)')
      .option('--plain-http', 'plain HTTP to a registry that is not on a loopback address (insecure)'),
  ).action(async (name: string | undefined, flags: ListFlags) => {
    const { listRegistry } = await import('../ops/registry-admin.js');
    const listing = await listRegistry(flags.registry, name, {
      plainHttp: flags.plainHttp === true,
      env: cli.env,
      tuf: tufTrust(flags, cli.env),
    });
    cli.out.result({ signed: listing.signed, plugins: listing.plugins }, () => {
      const lines = [
        listing.signed
          ? `registry ${flags.registry}: signed (TUF), verified`
          : `registry ${flags.registry}: unsigned listing (no TUF root for this registry)`,
      ];
      if (listing.plugins.length === 0) lines.push('no plugins');
      for (const p of listing.plugins) {
        lines.push(p.name);
        for (const v of p.versions) {
          const signer =
            'key_id' in v.signer ? `key ${v.signer.key_id}` : `fingerprint ${v.signer.fingerprint}`;
          lines.push(`  ${v.version}  ${v.risk_class}  ${v.runtime}  ${signer}  sha256 ${v.sha256}`);
        }
      }
      return lines.join('\n');
    });
  });
}
