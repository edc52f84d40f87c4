import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';
import { inspectText } from '../cli/inspect-text.js';
import { addTrustOptions, type TrustFlags, trustSources } from '../cli/trust-options.js';
import { parseSize } from '../core/bundle/index.js';
import { inspectBundle } from '../core/inspect.js';
import { exitCodeOf } from '../core/verify.js';
import { loadTrust } from '../io/trust.js';

interface InspectFlags extends TrustFlags {
  readonly maxModuleSize?: string;
}

export function register(program: Command, cli: Cli): void {
  addTrustOptions(
    program
      .command('inspect')
      .description('show everything about a bundle; with trust flags also the verification verdict')
      .argument('<bundle>', 'bundle file (.aurion)'),
  )
    .option('--max-module-size <size>', 'largest module.wasm accepted (bytes, or KiB/MiB/GiB)', '512MiB')
    .action(async (bundle: string, flags: InspectFlags) => {
      const maxModuleSize = parseSize(flags.maxModuleSize ?? '512MiB');
      const trust = await loadTrust(trustSources(flags));
      const size = await stat(bundle).then(
        (s) => s.size,
        () => 0,
      );
      const progress = cli.out.progress('reading', size);
      const report = await inspectBundle(bundle, {
        trust,
        maxModuleSize,
        ...(progress === undefined ? {} : { onProgress: (bytesRead: number) => progress.update(bytesRead) }),
      }).finally(() => progress?.end());
      const verification = report.verification;
      // With trust flags inspect exits as verify would; the report is printed either way.
      cli.exitCode = verification === undefined ? 0 : exitCodeOf([verification]);
      if (cli.out.json) {
        const first = verification?.errors[0];
        cli.out.printJson({
          ok: cli.exitCode === 0,
          ...(first === undefined || verification?.ok === true ? {} : { error: first }),
          ...report,
        });
        return;
      }
      cli.out.line(inspectText(cli.out.style, report));
    });
}
