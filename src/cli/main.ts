/**
 * The CLI's single exit point: builds the commander program, runs the command, and maps every failure to
 * one exit code (SPEC §2). Commands throw AurionError; nothing else calls process.exit.
 */
import { readFileSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { Command, CommanderError } from 'commander';
import { AurionError } from '../errors.js';
import { COMMANDS } from './commands.js';
import type { Cli } from './context.js';
import { Output } from './output.js';

const PROGRAM = 'aurion-plugin';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Global flags are known before commander parses, so that usage errors, too, honour --json. */
function globalFlag(argv: readonly string[], flag: string): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes(flag);
}

export function buildProgram(cli: Cli): Command {
  const program = new Command(PROGRAM)
    .description('Package, sign, verify and publish Aurion plugins.')
    .version(version(), '-V, --version', 'print the version')
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--no-color', 'no colour in the output (also when NO_COLOR is set)')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .showSuggestionAfterError(true)
    // We print errors ourselves (one format, JSON-aware); commander still prints help text.
    .configureOutput({ outputError: () => {} });
  program.helpCommand('help [command]', 'show help for a command');
  // Program options count only before the command name, so that a command may have a flag of the same name
  // (`cache-key --version 1.2.0`, SPEC §7, is not `-V, --version`). The global output flags stay usable
  // anywhere: every command accepts them too (main() reads them from argv).
  program.enablePositionalOptions();
  for (const register of COMMANDS) register(program, cli);
  // Subcommands too (`authz verify --json`).
  const all = (commands: readonly Command[]): Command[] => commands.flatMap((c) => [c, ...all(c.commands)]);
  for (const command of all(program.commands)) {
    const has = (flag: string) => command.options.some((o) => o.long === flag);
    if (!has('--json')) command.option('--json', 'print exactly one JSON document on stdout');
    if (!has('--no-color'))
      command.option('--no-color', 'no colour in the output (also when NO_COLOR is set)');
  }
  return program;
}

function usageError(err: CommanderError, argv: readonly string[]): AurionError {
  const message = err.message.replace(/^error: /, '');
  const command = argv.find((a) => !a.startsWith('-'));
  const hint =
    command === undefined || err.code === 'commander.unknownCommand'
      ? `run '${PROGRAM} --help'`
      : `run '${PROGRAM} ${command} --help' for its usage`;
  return new AurionError('USAGE', message, { hint });
}

function internalError(err: unknown): AurionError {
  const message = err instanceof Error ? err.message : String(err);
  return new AurionError('INTERNAL', `internal error: ${message}`, {
    hint: 'this is a bug in aurion-plugin; run again with AURION_DEBUG=1 and report the stack trace',
    cause: err,
  });
}

export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  runtime: { readonly poolThreads?: readonly number[]; readonly sandboxThread?: Worker } = {},
): Promise<number> {
  if (runtime.sandboxThread !== undefined) {
    // The thread the launcher started for `run` (src/cli/launch.ts); the module loads only then.
    const { adoptSandboxThread } = await import('../io/sandbox/wasm.js');
    adoptSandboxThread(runtime.sandboxThread);
  }
  const json = globalFlag(argv, '--json');
  const color =
    !globalFlag(argv, '--no-color') && env['NO_COLOR'] === undefined && process.stdout.isTTY === true;
  const debug = env['AURION_DEBUG'] === '1';
  const out = new Output({ json, color });
  const cli: Cli = { out, env, exitCode: 0, poolThreads: runtime.poolThreads ?? [] };
  try {
    await buildProgram(cli).parseAsync([...argv], { from: 'user' });
    return cli.exitCode;
  } catch (caught) {
    let err: AurionError;
    if (caught instanceof CommanderError) {
      // `--help`, `help <command>` and `--version` end with exit code 0; help shown for a missing command, 1.
      if (caught.exitCode === 0) return 0;
      err =
        caught.code === 'commander.help' || caught.code === 'commander.executeSubCommandAsync'
          ? new AurionError('USAGE', 'no command given', { hint: `run '${PROGRAM} --help'` })
          : usageError(caught, argv);
    } else if (caught instanceof AurionError) {
      err = caught;
    } else {
      err = internalError(caught);
    }
    out.error(err, debug);
    if (debug && err.cause instanceof Error && err.cause.stack !== undefined)
      process.stderr.write(`${err.cause.stack}\n`);
    return err.exitCode;
  }
}
