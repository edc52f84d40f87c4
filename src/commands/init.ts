import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';
import { initProject } from '../core/init.js';

interface InitOptions {
  readonly name?: string;
  readonly capability?: string[];
  readonly runtime: string;
  readonly description?: string;
  readonly force?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command, cli: Cli): void {
  program
    .command('init')
    .description('write a starter manifest.json and .gitignore')
    .argument('[dir]', 'project folder (created when absent)', '.')
    .option('--name <name>', 'plugin name (default: the folder name)')
    .option('--capability <capability>', 'a capability (repeatable; default PassiveEnum)', collect)
    .option('--runtime <runtime>', 'wasm or container', 'wasm')
    .option('--description <text>', 'one-line description')
    .option('--force', 'overwrite an existing manifest.json and .gitignore')
    .action(async (dir: string, opts: InitOptions) => {
      const result = await initProject({
        dir,
        name: opts.name,
        capabilities: opts.capability ?? ['PassiveEnum'],
        runtime: opts.runtime,
        description: opts.description,
        force: opts.force === true,
      });
      cli.out.result({ dir: result.dir, files: result.files, manifest: result.manifest }, () =>
        [
          ...result.files.map((f) => `${cli.out.style.green('wrote')} ${f}`),
          `next: put your module at ${result.manifest.module?.path ?? '(container image)'} and run 'aurion-plugin build ${dir}'`,
        ].join('\n'),
      );
    });
}
