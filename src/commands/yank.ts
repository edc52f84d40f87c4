import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';
import { addTufKeyOptions, type TufKeyFlags, tufWriter } from '../cli/tuf-options.js';

interface YankFlags extends TufKeyFlags {
  readonly registry: string;
}

export function register(program: Command, cli: Cli): void {
  addTufKeyOptions(
    program
      .command('yank')
      .description('withdraw a published version: kept on disk, no longer signed, resolved or listed')
      .argument('<name@version>', 'the exact version, e.g. dns-enum@1.2.0')
      .requiredOption('--registry <reg>', 'a directory registry (folder or file:// URL)'),
  ).action(async (spec: string, flags: YankFlags) => {
    const { yankVersion } = await import('../ops/registry-admin.js');
    const signer = await tufWriter(flags, cli.env);
    const r = await yankVersion(flags.registry, spec, { signer, env: cli.env });
    cli.out.result({ name: r.name, version: r.version, registry: flags.registry, changed: r.changed }, () =>
      r.changed
        ? `${cli.out.style.green('yanked')} ${r.name}@${r.version} from ${flags.registry} (the file is kept)`
        : `${r.name}@${r.version} was already yanked from ${flags.registry}; nothing changed`,
    );
  });
}
