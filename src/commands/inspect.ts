import { statSync } from 'node:fs';
import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';
import { inspectText } from '../cli/inspect-text.js';
import { type MaxModuleSizeFlags, maxModuleSizeOf, maxModuleSizeOption } from '../cli/size-option.js';
import { addTrustOptions, type TrustFlags, trustSources } from '../cli/trust-options.js';

interface InspectFlags extends TrustFlags, MaxModuleSizeFlags {}

export function register(program: Command, cli: Cli): void {
  addTrustOptions(
    program
      .command('inspect')
      .description('show everything about a bundle; with trust flags also the verification verdict')
      .argument('<bundle>', 'bundle file (.aurion)'),
  )
    .addOption(maxModuleSizeOption())
    .action(async (bundle: string, flags: InspectFlags) => {
      // Loaded when the command runs, not at start-up: each command pays only for its own modules.
      const [{ inspectBundle }, { exitCodeOf }, { loadTrust }] = await Promise.all([
        import('../ops/inspect.js'),
        import('../core/verify.js'),
        import('../io/trust.js'),
      ]);
      const maxModuleSize = maxModuleSizeOf(flags);
      const trust = await loadTrust(trustSources(flags));
      let size = 0;
      if (cli.out.mayShowProgress) {
        try {
          size = statSync(bundle).size;
        } catch {
          size = 0; // inspectBundle reports the unreadable file
        }
      }
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
