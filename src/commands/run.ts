import { type Command, Option } from 'commander';
import { authorizerSources } from '../cli/authz-options.js';
import type { Cli } from '../cli/context.js';
import { type MaxModuleSizeFlags, maxModuleSizeOf, maxModuleSizeOption } from '../cli/size-option.js';
import { addTrustOptions, type TrustFlags, trustSources } from '../cli/trust-options.js';
import { signerText } from '../cli/verify-text.js';
import { parseSize } from '../core/bundle/format.js';
import { AurionError, type ErrorCode, EXIT_CODE_OF } from '../errors.js';
import { readSmallFile, readStdin } from '../io/files.js';
import type { RunAuthorization } from '../ops/gate.js';
import type { RunOptions, RunReport } from '../ops/run.js';

interface RunFlags extends TrustFlags, MaxModuleSizeFlags {
  readonly request?: string;
  readonly target?: string;
  readonly config?: string;
  readonly configFile?: string;
  readonly scope?: string;
  readonly jobId?: string;
  readonly authorization?: string;
  readonly trustedAuthorizer?: string[];
  readonly memory?: string;
  readonly timeout?: string;
  readonly printCommand?: boolean;
  readonly engine: 'docker' | 'podman';
}

const HINT = "run 'aurion-plugin run --help' for its usage";
const REQUEST_LIMIT = 16 * 1024 * 1024;

/** The job: `--request FILE|-`, or the flags (then --target, a config and --scope are needed). */
async function jobOf(flags: RunFlags): Promise<Pick<RunOptions, 'request' | 'job' | 'requestSource'>> {
  const jobFlags = [flags.target, flags.config, flags.configFile, flags.scope, flags.jobId];
  if (flags.request !== undefined) {
    if (jobFlags.some((f) => f !== undefined)) {
      throw new AurionError(
        'USAGE',
        'give either --request or --target/--config/--scope/--job-id, not both',
        { hint: HINT },
      );
    }
    const { parseJobRequest } = await import('../core/job/request.js');
    const fromStdin = flags.request === '-';
    const source = fromStdin ? 'the request on stdin' : `request ${flags.request}`;
    const bytes = fromStdin
      ? await readStdin('the request', REQUEST_LIMIT)
      : await readSmallFile(flags.request, 'request', REQUEST_LIMIT);
    return { request: parseJobRequest(bytes, source), requestSource: source };
  }
  if (flags.config !== undefined && flags.configFile !== undefined) {
    throw new AurionError('USAGE', 'give either --config or --config-file, not both', { hint: HINT });
  }
  const missing = [
    flags.target === undefined ? '--target' : undefined,
    flags.config === undefined && flags.configFile === undefined ? '--config or --config-file' : undefined,
    flags.scope === undefined ? '--scope' : undefined,
  ].filter((m) => m !== undefined);
  if (missing.length > 0) {
    throw new AurionError(
      'USAGE',
      `the job is incomplete: give ${missing.join(', ')} (or the whole job with --request)`,
      {
        hint: HINT,
      },
    );
  }
  let config = flags.config;
  let source = 'the job (--config)';
  if (config === undefined) {
    source = `the job (config file ${flags.configFile})`;
    const { decodeUtf8 } = await import('../core/json.js');
    try {
      config = decodeUtf8(await readSmallFile(flags.configFile!, 'config file', REQUEST_LIMIT));
    } catch (e) {
      if (e instanceof AurionError) throw e;
      throw new AurionError('REQUEST_INVALID', `config file ${flags.configFile} is not valid UTF-8`);
    }
  }
  return {
    job: {
      target: flags.target!,
      config,
      scopeId: flags.scope!,
      ...(flags.jobId === undefined ? {} : { jobId: flags.jobId }),
    },
    requestSource: source,
  };
}

/**
 * The authorization material: the --authorization file, and the authorizer trust whenever there is an
 * authorization to check (the flag's or the request's); without one, no authorizer trust is needed or read.
 */
async function authorizationOf(
  flags: RunFlags,
  job: Pick<RunOptions, 'request'>,
): Promise<RunAuthorization | undefined> {
  const carried = (job.request?.authorizationBundle ?? '') !== '';
  if (flags.authorization === undefined && !carried) return undefined;
  const [{ loadAuthorizerTrust }, { MAX_ENVELOPE_SIZE }] = await Promise.all([
    import('../io/authorizers.js'),
    import('../core/authz/envelope.js'),
  ]);
  const trust = await loadAuthorizerTrust(authorizerSources(flags));
  if (flags.authorization === undefined) return { trust };
  return {
    envelope: await readSmallFile(flags.authorization, 'authorization', MAX_ENVELOPE_SIZE),
    source: flags.authorization,
    trust,
  };
}

function timeoutOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^(?:[0-9]+(?:\.[0-9]+)?)$/.test(text) || Number(text) <= 0) {
    throw new AurionError(
      'USAGE',
      `--timeout takes a positive number of seconds, not ${JSON.stringify(text)}`,
      { hint: HINT },
    );
  }
  return Number(text);
}

function summary(cli: Cli, r: RunReport, quote: (s: string) => string): string {
  const { style } = cli.out;
  const what = `${r.plugin.name}@${r.plugin.version}`;
  // The job id is shown once the plugin answered for this job; a failed answer may name another.
  const job = r.ok && r.job_result !== null ? ` job ${quote(r.job_result.job_id)}` : '';
  return r.ok
    ? `${style.green('✓')} ${what}${job} succeeded in ${r.duration_ms} ms — signed by ${signerText(r.signer)}, cache key ${r.expected_cache_key}`
    : `${style.red('✗')} ${what}${job} failed after ${r.duration_ms} ms`;
}

export function register(program: Command, cli: Cli): void {
  addTrustOptions(
    program
      .command('run')
      .description(
        "run a plugin locally in the orchestrator's sandbox, after verifying it, and check its answer",
      )
      .argument('<bundle>', 'bundle file (.aurion)')
      .option('--request <file>', 'the job: proto3 JSON of aurion.plugin.v1.JobRequest (- for stdin)')
      .option('--target <target>', 'the job target (instead of --request)')
      .option('--config <json>', 'the job configuration as JSON text')
      .option('--config-file <file>', 'read the job configuration from a file')
      .option('--scope <id>', 'the scope id')
      .option('--job-id <id>', 'the job id (default: a random UUID)')
      .option(
        '--authorization <file>',
        "authorization envelope for Medium/High plugins (wins over the request's)",
      )
      .option(
        '--trusted-authorizer <file>',
        'trust this Ed25519 authorizer key for the authorization (SPKI PEM; repeatable)',
        (value: string, previous: string[] = []) => [...previous, value],
      ),
  )
    .option('--memory <size>', 'lower the memory limit: bytes, or with a KiB/MiB/GiB suffix')
    .option('--timeout <seconds>', 'lower the time limit (seconds)')
    .option('--print-command', 'container bundles: print the hardened engine command and run nothing')
    .addOption(
      new Option('--engine <engine>', 'container engine').choices(['docker', 'podman']).default('docker'),
    )
    .addOption(maxModuleSizeOption())
    .action(async (bundle: string, flags: RunFlags) => {
      // Loaded when the command runs, not at start-up: each command pays only for its own modules.
      const [
        { containerRunCommand, executePlugin, prepareToRun },
        { loadTrust },
        { documentText, prettyJson, quote },
      ] = await Promise.all([
        import('../ops/run.js'),
        import('../io/trust.js'),
        import('../core/job/result.js'),
      ]);
      if (flags.printCommand !== true) prepareToRun();
      const maxModuleSize = maxModuleSizeOf(flags);
      const memoryBytes = flags.memory === undefined ? undefined : parseSize(flags.memory);
      const timeoutSeconds = timeoutOf(flags.timeout);
      const trust = await loadTrust(trustSources(flags));
      if (trust === undefined) {
        throw new AurionError(
          'USAGE',
          'no trust material: run verifies the bundle first and never runs an unsigned one',
          {
            hint: 'give --trusted-key FILE, --pgp-keyring FILE or --trust-policy FILE',
          },
        );
      }
      const common = {
        trust,
        maxModuleSize,
        engine: flags.engine,
        env: cli.env,
        ...(memoryBytes === undefined ? {} : { memoryBytes }),
      };
      if (flags.printCommand === true) {
        const { shellCommand } = await import('../core/job/container.js');
        const { argv } = await containerRunCommand(bundle, common);
        cli.out.result({ argv }, () => shellCommand(argv));
        return;
      }
      const job = await jobOf(flags);
      const authorization = await authorizationOf(flags, job);
      const outcome = await executePlugin(bundle, {
        ...common,
        ...job,
        ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
        ...(authorization === undefined ? {} : { authorization }),
        onStderr: (chunk) => cli.out.passthrough(chunk),
      });
      cli.out.endPassthrough();
      if (outcome.stderrTruncated) cli.out.warn("the plugin's stderr was cut at 1 MiB");
      const { report } = outcome;
      if (cli.out.json) {
        // output_json as the plugin wrote it: every number exact (JSON.stringify would round big integers).
        const exact = (path: readonly string[]) =>
          path.length === 2 && path[0] === 'job_result' && path[1] === 'output_json'
            ? outcome.output
            : undefined;
        cli.out.printJsonText(documentText(report, exact));
      } else if (report.ok && outcome.output !== undefined) {
        cli.out.line(prettyJson(outcome.output));
      }
      if (!cli.out.json) cli.out.info(summary(cli, report, quote));
      if (report.error !== undefined) {
        const code = report.error.code as ErrorCode;
        cli.exitCode = EXIT_CODE_OF[code];
        cli.out.error(new AurionError(code, report.error.message), cli.env.AURION_DEBUG === '1');
      }
    });
}
