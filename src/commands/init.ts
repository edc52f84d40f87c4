import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';
import { terminalSafe } from '../cli/output.js';

interface InitOptions {
  readonly name?: string;
  readonly capability?: string[];
  readonly runtime: string;
  readonly description?: string;
  readonly force?: boolean;
  readonly template?: string;
  readonly rustTarget?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command, cli: Cli): void {
  program
    .command('init')
    .description('write a starter manifest.json and .gitignore (with --template rust: a Rust plugin project)')
    .argument('[dir]', 'project folder (created when absent)', '.')
    .option('--name <name>', 'plugin name (default: the folder name)')
    .option(
      '--capability <capability>',
      'PassiveEnum, PortScan, VulnerabilityScan or Fuzz (repeatable; default PassiveEnum)',
      collect,
    )
    .option('--runtime <runtime>', 'wasm or container', 'wasm')
    .option('--description <text>', 'one-line description')
    .option(
      '--template <template>',
      'also write a plugin project: rust (Cargo project using the vendored Rust SDK)',
    )
    .option(
      '--rust-target <target>',
      'with --template rust: wasm32-wasip1 (default) or wasm32-wasi (Rust < 1.78)',
    )
    .option('--force', 'overwrite an existing manifest.json (and the template files)')
    .action(async (dir: string, opts: InitOptions) => {
      // Loaded when the command runs, not at start-up: each command pays only for its own modules.
      const { initProject } = await import('../ops/init.js');
      const result = await initProject({
        dir,
        name: opts.name,
        capabilities: opts.capability ?? ['PassiveEnum'],
        runtime: opts.runtime,
        description: opts.description,
        force: opts.force === true,
        template: opts.template,
        rustTarget: opts.rustTarget,
      });
      const { manifest } = result;
      if (result.placeholders.includes('/container/image')) {
        cli.out.warn(
          `container.image in manifest.json is a placeholder (${manifest.container?.image}); replace it with ` +
            `your image pinned by digest, NAME@sha256:<digest> ('skopeo inspect --format "{{.Digest}}" docker://IMAGE' prints it)`,
        );
      }
      const safeDir = terminalSafe(dir);
      cli.out.result(
        {
          dir: result.dir,
          files: result.files,
          manifest,
          placeholders: result.placeholders,
          ...(result.rustTarget === undefined ? {} : { rust_target: result.rustTarget }),
        },
        (d) =>
          [
            ...d.files.map((f) => `${cli.out.style.green('wrote')} ${f}`),
            `risk class: ${d.manifest.risk_class} (the highest class of ${d.manifest.capabilities.join(', ')})`,
            d.manifest.runtime === 'container'
              ? `next: set container.image to your image pinned by digest, list the variables it needs in container.env, then run 'aurion-plugin build ${safeDir}'`
              : d.rust_target !== undefined
                ? `next: (cd ${safeDir} && cargo build --release --target ${d.rust_target}), then 'aurion-plugin build ${safeDir}' (see ${safeDir}/README.md)`
                : `next: put your module at ${d.manifest.module?.path} and run 'aurion-plugin build ${safeDir}'`,
          ].join('\n'),
      );
    });
}
