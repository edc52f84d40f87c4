import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';
import type { Progress } from '../cli/output.js';
import { type MaxModuleSizeFlags, maxModuleSizeOf, maxModuleSizeOption } from '../cli/size-option.js';
import { USTAR_MAX_NUMBER } from '../core/bundle/format.js';
import { AurionError } from '../errors.js';

interface BuildFlags extends MaxModuleSizeFlags {
  readonly output?: string;
}

/** SOURCE_DATE_EPOCH (reproducible-builds.org): whole seconds since 1970; unset or empty means 0. */
export function parseSourceDateEpoch(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const seconds = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds > USTAR_MAX_NUMBER) {
    throw new AurionError(
      'USAGE',
      `invalid SOURCE_DATE_EPOCH '${value}': expected whole seconds since 1970`,
      {
        hint: 'set it to a number such as $(git log -1 --format=%ct), or unset it',
      },
    );
  }
  return seconds;
}

export function register(program: Command, cli: Cli): void {
  program
    .command('build')
    .description('validate manifest.json and the module, write the reproducible bundle')
    .argument('[dir]', "the plugin's folder, holding manifest.json", '.')
    .option('-o, --output <file>', 'bundle path (default: DIR/dist/<name>-<version>.aurion)')
    .addOption(maxModuleSizeOption())
    .action(async (dir: string, flags: BuildFlags) => {
      // Loaded when the command runs, not at start-up: each command pays only for its own modules.
      const { buildBundle } = await import('../ops/build.js');
      const maxModuleSize = maxModuleSizeOf(flags);
      const sourceDateEpoch = parseSourceDateEpoch(cli.env['SOURCE_DATE_EPOCH']);
      let progress: Progress | undefined;
      let started = false;
      try {
        const result = await buildBundle({
          dir,
          output: flags.output,
          sourceDateEpoch,
          maxModuleSize,
          onProgress: (done, total) => {
            if (!started) progress = cli.out.progress('building', total);
            started = true;
            progress?.update(done);
          },
        });
        progress?.end();
        progress = undefined;
        if (result.nondeterministicImports.length > 0) {
          cli.out.warn(
            `the module imports non-deterministic WASI functions (${result.nondeterministicImports.join(', ')}): ` +
              'a job should depend on its request only (same request, same result and cache key); avoid clocks and randomness',
          );
        }
        cli.out.result({ bundle: result.bundle, sha256: result.sha256 }, (d) =>
          [`${cli.out.style.green('built')} ${d.bundle}`, `sha256 ${d.sha256}`].join('\n'),
        );
      } finally {
        progress?.end();
      }
    });
}
