/**
 * runPlugin: SPEC §8 `run` as one operation. In order: the bundle passes the same verification as `verify`
 * (unsigned modules never run), then capability gating (§9), then the plugin runs in the local sandbox and its
 * answer goes through the job contract's checks.
 *
 * Failures before the plugin starts (usage, unreadable or failing bundle, invalid request, missing
 * authorization, unavailable imports) are thrown as AurionError; once it has started, the outcome is the
 * returned report (`ok: false` with `error` when the plugin or its answer failed the contract).
 */
import { randomUUID } from 'node:crypto';
import type { BundleContents } from '../core/bundle/index.js';
import { computeCacheKey } from '../core/cachekey.js';
import { CONTAINER_ENGINES, type ContainerEngine, containerCommand } from '../core/job/container.js';
import { capModuleMemory } from '../core/job/memory-cap.js';
import { checkJobRequest, checkRequestMatches, type JobRequest, stdinObject } from '../core/job/request.js';
import { checkJobResult, type JobResult, MAX_STDOUT, parseJobResult } from '../core/job/result.js';
import type { JsonNode } from '../core/json.js';
import type { TrustPolicy } from '../core/policy.js';
import type { Manifest, RiskClass } from '../core/types.js';
import { type Signer, type VerifyResult, verifyContents } from '../core/verify.js';
import { DEFAULT_MEMORY_MIB } from '../core/wasm/rules.js';
import { type WasmInfo, WasmScanner } from '../core/wasm/scanner.js';
import { AurionError, EXIT_CODE_OF } from '../errors.js';
import { readBundle } from '../io/bundle-file.js';
import { findOnPath, runContainer } from '../io/sandbox/container.js';
import { moduleKey, prestartSandbox, runWasmSandbox, type SandboxOutcome } from '../io/sandbox/wasm.js';
import { type AuthorizationVerdict, gateJob, type RunAuthorization } from './gate.js';

/** The runtime's defaults, which are also the most a manifest may declare (SPEC §3, §8). */
export const DEFAULT_TIMEOUT_SECONDS = 300;
const MIB = 1024 * 1024;

/** A job given piece by piece (the `--target/--config/--scope/--job-id` flags); name and version: the bundle's. */
export interface JobSpec {
  readonly target: string;
  /** The config as JSON text. */
  readonly config: string;
  readonly scopeId: string;
  /** Default: a random UUID. */
  readonly jobId?: string;
}

export interface RunOptions {
  /** Trust material for the bundle's signature, as for verify (src/io/trust.ts loadTrust). */
  readonly trust: TrustPolicy;
  /** A whole JobRequest (`--request`), or `job`; exactly one. */
  readonly request?: JobRequest;
  readonly job?: JobSpec;
  /** How the request is named in messages (default `the request`). */
  readonly requestSource?: string;
  /** Authorization material for gating (§9). */
  readonly authorization?: RunAuthorization;
  /** Lower the memory limit (bytes); more than the manifest's limit is USAGE. */
  readonly memoryBytes?: number;
  /** Lower the time limit (seconds); more than the manifest's limit is USAGE. */
  readonly timeoutSeconds?: number;
  /** Container bundles: the engine (default docker). */
  readonly engine?: ContainerEngine;
  /** Environment for container bundles: PATH to find the engine, and the declared variables. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** The plugin's stderr as it arrives (at most 1 MiB). Default: dropped. */
  readonly onStderr?: (chunk: Uint8Array) => void;
  readonly maxModuleSize?: number;
  /** The instant keys and authorizations are judged at (default now). */
  readonly now?: Date;
}

/** The result of `run` — the `--json` document of SPEC §8. */
export interface RunReport {
  readonly ok: boolean;
  readonly plugin: {
    readonly name: string;
    readonly version: string;
    readonly effective_risk_class: RiskClass;
  };
  readonly signer: Signer;
  readonly authorization: AuthorizationVerdict | null;
  readonly job_result: JobResult | null;
  readonly expected_cache_key: string;
  readonly duration_ms: number;
  readonly limits: { readonly memory_mib: number; readonly timeout_seconds: number };
  readonly error?: { readonly code: string; readonly message: string };
}

/** The report and, for printing, output_json with its numbers exactly as the plugin wrote them. */
export interface RunOutcome {
  readonly report: RunReport;
  readonly output: JsonNode | undefined;
  /** The plugin's stderr was longer than what was kept. */
  readonly stderrTruncated: boolean;
}

/** A verified bundle: its contents, verdict and (wasm) module bytes with the scanner's facts. */
interface Verified {
  readonly bundle: BundleContents;
  readonly verdict: VerifyResult & { readonly signer: Signer };
  readonly module?: { readonly bytes: Uint8Array; readonly info: WasmInfo };
}

/**
 * Reads the bundle through the one reader, keeping the module's bytes as they are hashed, and verifies it
 * with verify's own function: what runs is exactly what was verified. Throws the verdict's weightiest error.
 */
async function readVerified(
  bundlePath: string,
  trust: TrustPolicy,
  options: { maxModuleSize?: number | undefined; now: Date },
): Promise<Verified> {
  const chunks: Uint8Array[] = [];
  const scanner = new WasmScanner({ source: `${bundlePath}:module.wasm` });
  let scanError: unknown;
  const bundle = await readBundle(bundlePath, {
    ...(options.maxModuleSize === undefined ? {} : { maxModuleSize: options.maxModuleSize }),
    onModuleChunk: (chunk) => {
      chunks.push(Buffer.from(chunk));
      if (scanError !== undefined) return;
      try {
        scanner.push(chunk);
      } catch (e) {
        scanError = e;
      }
    },
  });
  const verdict = await verifyContents(bundle, trust, { now: options.now });
  if (!verdict.ok || verdict.signer === null) {
    const worst = verdict.errors.reduce((a, b) => (EXIT_CODE_OF[b.code] > EXIT_CODE_OF[a.code] ? b : a));
    throw new AurionError(worst.code, worst.message, {
      hint: 'only a bundle that passes verify runs; run aurion-plugin verify with the same trust flags to see every problem',
    });
  }
  if (bundle.manifest.runtime !== 'wasm') return { bundle, verdict: verdict as Verified['verdict'] };
  if (scanError !== undefined) throw scanError;
  return {
    bundle,
    verdict: verdict as Verified['verdict'],
    module: { bytes: Buffer.concat(chunks), info: scanner.finish() },
  };
}

/** The limits of this run: the manifest's (or the runtime's defaults), lowered by the options. */
function limitsOf(manifest: Manifest, options: Pick<RunOptions, 'memoryBytes' | 'timeoutSeconds'>) {
  const memoryMib = manifest.limits?.memory_mib ?? DEFAULT_MEMORY_MIB;
  const timeoutSeconds = manifest.limits?.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS;
  let memoryBytes = memoryMib * MIB;
  if (options.memoryBytes !== undefined) {
    if (!Number.isSafeInteger(options.memoryBytes) || options.memoryBytes <= 0) {
      throw new AurionError('USAGE', `--memory must be a positive size, not ${options.memoryBytes}`);
    }
    if (options.memoryBytes > memoryBytes) {
      throw new AurionError(
        'USAGE',
        `--memory ${options.memoryBytes} bytes is above the plugin's limit of ${memoryMib} MiB: it may only lower it`,
        { hint: `give at most ${memoryMib}MiB` },
      );
    }
    memoryBytes = options.memoryBytes;
  }
  let timeout = timeoutSeconds;
  if (options.timeoutSeconds !== undefined) {
    if (!Number.isFinite(options.timeoutSeconds) || options.timeoutSeconds <= 0) {
      throw new AurionError(
        'USAGE',
        `--timeout must be a positive number of seconds, not ${options.timeoutSeconds}`,
      );
    }
    if (options.timeoutSeconds > timeoutSeconds) {
      throw new AurionError(
        'USAGE',
        `--timeout ${options.timeoutSeconds} s is above the plugin's limit of ${timeoutSeconds} s: it may only lower it`,
        { hint: `give at most ${timeoutSeconds}` },
      );
    }
    timeout = options.timeoutSeconds;
  }
  return { memoryBytes, memory_mib: memoryBytes / MIB, timeout_seconds: timeout };
}

/** The job request of this run: the given one, or one built from the flags and the bundle's manifest. */
function requestOf(options: RunOptions, manifest: Manifest): { request: JobRequest; source: string } {
  if ((options.request === undefined) === (options.job === undefined)) {
    throw new AurionError(
      'USAGE',
      'give either a job request (--request) or the job (--target, --config, --scope)',
      {
        hint: "run 'aurion-plugin run --help' for its usage",
      },
    );
  }
  if (options.request !== undefined) {
    const source = options.requestSource ?? 'the request';
    const request = checkJobRequest(options.request, source);
    checkRequestMatches(request, manifest, source);
    return { request, source };
  }
  const job = options.job!;
  const source = options.requestSource ?? 'the job';
  const request = checkJobRequest(
    {
      jobId: job.jobId ?? randomUUID(),
      pluginName: manifest.name,
      version: manifest.version,
      target: job.target,
      serializedConfig: job.config,
      scopeId: job.scopeId,
      authorizationBundle: '',
    },
    source,
  );
  return { request, source };
}

/**
 * The engine's `--memory <N>m` is whole MiB: a lowered limit is rounded down, never up (it may only lower), and
 * below 1 MiB is USAGE.
 */
function containerMemoryMib(memoryMib: number): number {
  const mib = Math.floor(memoryMib);
  if (mib < 1) {
    throw new AurionError(
      'USAGE',
      '--memory for a container plugin must be at least 1 MiB (the engine counts whole MiB)',
    );
  }
  return mib;
}

function engineOf(options: RunOptions): ContainerEngine {
  const engine = options.engine ?? 'docker';
  if (!CONTAINER_ENGINES.includes(engine)) {
    throw new AurionError(
      'USAGE',
      `unknown container engine ${JSON.stringify(engine)}: use docker or podman`,
    );
  }
  return engine;
}

/**
 * `run --print-command` (container bundles): the hardened command, after the same verification. Runs nothing;
 * the job (and its gating) belongs to the run that executes it. USAGE for a wasm bundle.
 */
export async function containerRunCommand(
  bundlePath: string,
  options: Pick<RunOptions, 'trust' | 'memoryBytes' | 'engine' | 'env' | 'maxModuleSize' | 'now'>,
): Promise<{ argv: string[] }> {
  const engine = engineOf(options);
  const { bundle } = await readVerified(bundlePath, options.trust, {
    maxModuleSize: options.maxModuleSize,
    now: options.now ?? new Date(),
  });
  if (bundle.manifest.runtime !== 'container') {
    throw new AurionError(
      'USAGE',
      `--print-command is for container bundles; ${bundlePath} holds a wasm module`,
      {
        hint: 'run it without --print-command',
      },
    );
  }
  const limits = limitsOf(bundle.manifest, options);
  return {
    argv: containerCommand(
      bundle.manifest,
      engine,
      containerMemoryMib(limits.memory_mib),
      options.env ?? process.env,
    ),
  };
}

/** The failure a sandbox outcome is, or the plugin's stdout when it completed. */
function judge(
  outcome:
    | SandboxOutcome
    | { kind: 'exited'; status: number; stdout: Uint8Array }
    | { kind: 'signalled'; signal: string },
  limits: { memory_mib: number; timeout_seconds: number },
): AurionError | Uint8Array {
  const failed = (message: string) => new AurionError('PLUGIN_FAILED', message);
  switch (outcome.kind) {
    case 'completed':
      if (outcome.status === 0) return outcome.stdout;
      return failed(
        outcome.via === 'proc_exit'
          ? `the plugin exited with status ${outcome.status}`
          : `the plugin's run returned ${outcome.status} (0 is success)`,
      );
    case 'exited':
      return outcome.status === 0
        ? outcome.stdout
        : failed(`the plugin exited with status ${outcome.status}`);
    case 'signalled':
      return failed(`the plugin was killed by ${outcome.signal}`);
    case 'trapped':
      return failed(
        outcome.atMemoryCap
          ? `memory limit of ${limits.memory_mib} MiB reached (the plugin trapped: ${outcome.message})`
          : `the plugin trapped: ${outcome.message}`,
      );
    case 'timed-out':
      return failed(`timed out after ${limits.timeout_seconds} s`);
    case 'stdout-overflow':
      return new AurionError(
        'RESULT_INVALID',
        `the plugin wrote more than ${MAX_STDOUT / MIB} MiB on stdout and was stopped`,
      );
    case 'crashed':
      return failed(`the sandbox failed: ${outcome.message}`);
    case 'unavailable':
      return new AurionError(
        'HOST_IMPORT_UNAVAILABLE',
        `the module imports ${outcome.import}, which the local sandbox does not provide (only WASI preview 1 runs locally)`,
      );
    case 'unloadable':
      return new AurionError('WASM_INVALID', outcome.message);
  }
}

/** Everything runPlugin does, plus output_json as parsed (for the CLI's exact pretty-printing). */
export async function executePlugin(bundlePath: string, options: RunOptions): Promise<RunOutcome> {
  const now = options.now ?? new Date();
  const engine = engineOf(options);
  // The sandbox's thread starts while the bundle is read and verified; it gets the module only once verified.
  prepareToRun();
  const { bundle, verdict, module } = await readVerified(bundlePath, options.trust, {
    maxModuleSize: options.maxModuleSize,
    now,
  });
  const { manifest } = bundle;
  const limits = limitsOf(manifest, options);
  const { request, source } = requestOf(options, manifest);
  const effective = verdict.plugin!.effective_risk_class;
  const authorization = gateJob({
    manifest,
    effectiveRiskClass: effective,
    request,
    authorization: options.authorization,
    now,
  });

  // Nothing the local sandbox cannot provide: refused before anything starts, naming the import.
  if (module !== undefined) {
    const foreign = module.info.imports.find((i) => i.module !== 'wasi_snapshot_preview1');
    if (foreign !== undefined) {
      throw new AurionError(
        'HOST_IMPORT_UNAVAILABLE',
        `the module imports ${foreign.module}.${foreign.name}, which the local sandbox does not provide (host imports such as network hostcalls exist only in the orchestrator)`,
        {
          hint: 'run the plugin in the orchestrator, or build a variant without host imports to test locally',
        },
      );
    }
  }

  const expected = computeCacheKey({
    name: manifest.name,
    version: manifest.version,
    config: request.serializedConfig,
    scope: request.scopeId,
    source: `${source}: serializedConfig`,
  }).cacheKey;
  const stdin = Buffer.from(stdinObject(request), 'utf8');
  const timeoutMs = Math.ceil(limits.timeout_seconds * 1000);
  const reportLimits = { memory_mib: limits.memory_mib, timeout_seconds: limits.timeout_seconds };

  let run: { outcome: Parameters<typeof judge>[0]; stderrTruncated: boolean };
  const started = performance.now();
  if (module !== undefined) {
    const capped = capModuleMemory(module.bytes, limits.memoryBytes);
    run = await runWasmSandbox({
      key: moduleKey(bundle.module!.sha256, limits.memoryBytes),
      module: capped,
      stdin,
      name: manifest.name,
      memoryBytes: limits.memoryBytes,
      timeoutMs,
      maxStdout: MAX_STDOUT,
      ...(options.onStderr === undefined ? {} : { onStderr: options.onStderr }),
    });
  } else {
    const env = options.env ?? process.env;
    const executable = findOnPath(engine, env.PATH);
    if (executable === undefined) {
      throw new AurionError(
        'UNSUPPORTED',
        `${engine} is not on PATH: a container plugin needs its engine to run`,
        {
          hint: `install ${engine}, choose the other with --engine, or print the command with --print-command`,
        },
      );
    }
    const argv = containerCommand(manifest, engine, containerMemoryMib(limits.memory_mib), env);
    const result = await runContainer({
      executable,
      args: argv.slice(1),
      stdin,
      env,
      timeoutMs,
      maxStdout: MAX_STDOUT,
      ...(options.onStderr === undefined ? {} : { onStderr: options.onStderr }),
    });
    const o = result.outcome;
    run = {
      outcome:
        o.kind === 'spawn-failed' ? { kind: 'crashed', message: `cannot start ${engine}: ${o.message}` } : o,
      stderrTruncated: result.stderrTruncated,
    };
  }
  const duration = Math.round(performance.now() - started);

  const base = {
    plugin: { name: manifest.name, version: manifest.version, effective_risk_class: effective },
    signer: verdict.signer,
    authorization,
    expected_cache_key: expected,
    duration_ms: duration,
    limits: reportLimits,
  };
  const judged = judge(run.outcome, limits);
  if (judged instanceof AurionError) {
    // Refusals of the module itself happen before it runs: thrown, like the checks above.
    if (judged.code === 'HOST_IMPORT_UNAVAILABLE' || judged.code === 'WASM_INVALID') throw judged;
    return failure(base, null, judged, undefined, run.stderrTruncated);
  }
  let parsed: ReturnType<typeof parseJobResult>;
  try {
    parsed = parseJobResult(judged);
  } catch (e) {
    if (e instanceof AurionError) return failure(base, null, e, undefined, run.stderrTruncated);
    throw e;
  }
  try {
    checkJobResult(parsed.result, request.jobId, expected);
  } catch (e) {
    if (e instanceof AurionError) return failure(base, parsed.result, e, parsed.output, run.stderrTruncated);
    throw e;
  }
  return {
    report: { ok: true, ...base, job_result: parsed.result },
    output: parsed.output,
    stderrTruncated: run.stderrTruncated,
  };
}

function failure(
  base: Omit<RunReport, 'ok' | 'job_result' | 'error'>,
  jobResult: JobResult | null,
  error: AurionError,
  output: JsonNode | undefined,
  stderrTruncated: boolean,
): RunOutcome {
  return {
    report: {
      ok: false,
      ...base,
      job_result: jobResult,
      error: { code: error.code, message: error.message },
    },
    output,
    stderrTruncated,
  };
}

/**
 * Starts the local sandbox's thread ahead of a run (the CLI calls it as soon as `run` starts, before it reads
 * keys and flags): its start-up then overlaps that work. Nothing runs in it before a bundle passed verify.
 */
export function prepareToRun(): void {
  prestartSandbox();
}

/** SPEC §8 `run` for library users: the `--json` document (see executePlugin for what is thrown). */
export async function runPlugin(bundlePath: string, options: RunOptions): Promise<RunReport> {
  return (await executePlugin(bundlePath, options)).report;
}
