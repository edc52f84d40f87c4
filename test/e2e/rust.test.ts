/**
 * The Rust SDK and `init --template rust` (SPEC §10), built for real and offline with a Rust toolchain that has
 * a WASI target (test/rust-toolchain.ts: Debian's, as .ci/run installs it; none is a failure, never a skip):
 * the SDK's own cargo test (compute_cache_key against the reference vectors), then a generated project built
 * with cargo as it stands, its module compared with the committed example module, packaged, signed and
 * verified through the real CLI, and its `run` export driven through the job contract's stdin/stdout.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WASI } from 'node:wasi';
import { computeCacheKey } from '../../src/core/cachekey.js';
import { ROOT, runCli, tempDir } from '../helpers.js';
import {
  cargo,
  offlineCargoConfig,
  SHARED_TARGET_DIR,
  type WasmToolchain,
  wasmToolchain,
} from '../rust-toolchain.js';

const EXAMPLE = join(ROOT, 'examples', 'dns-enum-rust');
const KEYS = join(ROOT, 'keys-example');

/** The init flags the walkthrough uses: the committed example module is this project, built. */
const EXAMPLE_INIT = [
  '--name',
  'dns-enum',
  '--capability',
  'PassiveEnum',
  '--description',
  'Passive DNS enumeration',
];

/** The part of the WebAssembly JS API used here (the project's TypeScript lib has no DOM types). */
const WebAssembly = (
  globalThis as unknown as {
    WebAssembly: {
      compile(bytes: Uint8Array): Promise<object>;
      instantiate(module: object, imports: object): Promise<{ exports: Record<string, unknown> }>;
    };
  }
).WebAssembly;

interface WasmRun {
  /** What `run` returned, or the proc_exit status. */
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the module's `run` export under WASI preview 1 as the job contract does: stdin in, stdout out. */
async function runExport(module: Uint8Array, name: string, stdin: string, dir: string): Promise<WasmRun> {
  const files = { in: join(dir, 'stdin'), out: join(dir, 'stdout'), err: join(dir, 'stderr') };
  await writeFile(files.in, stdin);
  const fds = { in: openSync(files.in, 'r'), out: openSync(files.out, 'w'), err: openSync(files.err, 'w') };
  let status: number;
  try {
    const wasi = new WASI({
      version: 'preview1',
      args: [name],
      env: {},
      preopens: {},
      stdin: fds.in,
      stdout: fds.out,
      stderr: fds.err,
      returnOnExit: true,
    });
    const compiled = await WebAssembly.compile(module);
    const instance = await WebAssembly.instantiate(compiled, { wasi_snapshot_preview1: wasi.wasiImport });
    wasi.initialize(instance);
    status = (instance.exports['run'] as () => number)();
  } finally {
    for (const fd of Object.values(fds)) closeSync(fd);
  }
  return { status, stdout: readFileSync(files.out, 'utf8'), stderr: readFileSync(files.err, 'utf8') };
}

/** The stdin object of SPEC §8, with the config text inserted as it is (never re-serialized). */
function stdinRequest(
  fields: { job_id: string; plugin_name: string; version: string; target: string; scope_id: string },
  config: string,
): string {
  const head = JSON.stringify(fields);
  return `${head.slice(0, -1)},"config":${config}}`;
}

describe('Rust SDK: cargo test (compute_cache_key against the reference vectors)', () => {
  it('passes with the toolchain that has the WASI target', async () => {
    const toolchain = await wasmToolchain();
    const { stdout } = await cargo(toolchain, ['test', '--offline'], join(ROOT, 'sdk', 'rust'), {
      CARGO_TARGET_DIR: SHARED_TARGET_DIR,
    });
    assert.match(stdout, /test compute_cache_key_matches_the_reference_vectors \.\.\. ok/);
    assert.match(stdout, /test the_result_key_is_the_reference_key_of_the_request \.\.\. ok/);
    assert.doesNotMatch(stdout, /[1-9]\d* failed/);
  });
});

describe('init --template rust: built with cargo, then build, sign, verify', () => {
  let toolchain: WasmToolchain;
  let work: string;
  let project: string;
  let module: Buffer;

  before(async () => {
    toolchain = await wasmToolchain();
    work = await mkdtemp(join(tmpdir(), 'aurion-rust-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('builds as generated, offline, into the module.path of its manifest', async () => {
    await offlineCargoConfig(work); // in the parent folder: the project stays as init wrote it
    project = join(work, 'dns-enum');
    const init = await runCli([
      'init',
      project,
      '--template',
      'rust',
      '--rust-target',
      toolchain.target,
      ...EXAMPLE_INIT,
      '--json',
    ]);
    assert.equal(init.code, 0, init.stderr);
    const modulePath: string = init.json.manifest.module.path;
    assert.equal(modulePath, `target/${toolchain.target}/release/dns_enum.wasm`);

    await cargo(toolchain, ['build', '--release', '--target', toolchain.target], project, {
      CARGO_TARGET_DIR: SHARED_TARGET_DIR,
    });
    // Cargo lays out <target dir>/<target>/release/<crate>.wasm; the project's own target dir is `target/`.
    const built = join(SHARED_TARGET_DIR, toolchain.target, 'release', 'dns_enum.wasm');
    await mkdir(dirname(join(project, modulePath)), { recursive: true });
    await copyFile(built, join(project, modulePath));
    module = await readFile(join(project, modulePath));
    assert.equal(module.subarray(0, 4).toString('latin1'), '\0asm');
  });

  it('is byte-identical to the committed example module (reproducible build)', async () => {
    const info = await readFile(join(EXAMPLE, 'README.md'), 'utf8');
    const recorded = /```text\n(rustc [\s\S]*?)```/.exec(info)?.[1];
    assert.ok(recorded, 'examples/dns-enum-rust/README.md records the rustc -vV it was built with');
    assert.equal(
      toolchain.version,
      recorded,
      `the committed module was built with another rustc; rebuild it as examples/dns-enum-rust/README.md says`,
    );
    assert.equal(toolchain.target, 'wasm32-wasi');
    assert.equal(
      await readFile(join(project, 'Cargo.lock'), 'utf8'),
      await readFile(join(EXAMPLE, 'Cargo.lock'), 'utf8'),
    );
    assert.ok(
      module.equals(await readFile(join(EXAMPLE, 'dns_enum.wasm'))),
      'module bytes differ from the committed module',
    );
  });

  it('passes build, sign and verify through the CLI, capped at the manifest memory limit', async () => {
    const build = await runCli(['build', project, '--json']);
    assert.equal(build.code, 0, build.stderr);
    const bundle = join(project, 'dist', 'dns-enum-0.1.0.aurion');
    assert.equal(build.json.bundle, bundle);
    const sign = await runCli(['sign', bundle, '--key', join(KEYS, 'example.key'), '--json']);
    assert.equal(sign.code, 0, sign.stderr);
    const verify = await runCli(['verify', bundle, '--trusted-key', join(KEYS, 'example.pub'), '--json']);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(verify.json.results[0].ok, true);
    assert.equal(verify.json.results[0].plugin.name, 'dns-enum');

    const inspect = await runCli(['inspect', bundle, '--json']);
    assert.equal(inspect.code, 0, inspect.stderr);
    const wasm = inspect.json.runtime.module;
    assert.deepEqual(
      wasm.exports.filter((e: { kind: string }) => e.kind === 'func').map((e: { name: string }) => e.name),
      ['run'],
    );
    // --max-memory=67108864 from .cargo/config.toml: 64 MiB, the manifest's limit.
    assert.equal(wasm.memories[0].maximum_pages, 1024);
    for (const i of wasm.imports) assert.equal(i.module, 'wasi_snapshot_preview1');
    // No clocks, no randomness: the SDK and the template stay deterministic.
    assert.deepEqual(
      wasm.imports.map((i: { name: string }) => i.name).filter((n: string) => /clock|random/.test(n)),
      [],
    );
  });

  /** A config that JSON.parse + JSON.stringify would change: the host must pass it to the plugin as written. */
  const HARD_CONFIG =
    '{"labels":["www","api"],"big":9007199254740993,"f":1.0,"e":1e21,"small":1e-7,"ü":{"日本":[[1,2.50],[]]},"neg":-0.0,"z":[{"b":1,"a":[true,null]}]}';

  it('runs under `run` with the cache key run expects, every number of the config intact (--config)', async () => {
    const bundle = join(project, 'dist', 'dns-enum-0.1.0.aurion');
    const r = await runCli([
      'run',
      bundle,
      '--trusted-key',
      join(KEYS, 'example.pub'),
      '--target',
      'example.com',
      '--config',
      HARD_CONFIG,
      '--scope',
      'engagement-42',
      '--job-id',
      'job-7',
      '--json',
    ]);
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
    assert.equal(r.json.ok, true);
    const expected = computeCacheKey({
      name: 'dns-enum',
      version: '0.1.0',
      config: HARD_CONFIG,
      scope: 'engagement-42',
    }).cacheKey;
    assert.equal(r.json.expected_cache_key, expected);
    assert.equal(r.json.job_result.cache_key, expected);
    assert.equal(r.json.job_result.job_id, 'job-7');
    assert.equal(r.json.job_result.success, true);
    assert.deepEqual(r.json.job_result.output_json, {
      target: 'example.com',
      candidates: ['www.example.com', 'api.example.com'],
    });
    assert.deepEqual(r.json.limits, { memory_mib: 64, timeout_seconds: 300 });
  });

  it('runs under `run --request` (proto3 JobRequest, serializedConfig as text) with the expected key', async (t) => {
    const dir = await tempDir(t);
    const config = '{"labels":["ns1"],"n":[18446744073709551615,-9223372036854775808,0.1,1E-5]}';
    const request = join(dir, 'job.json');
    await writeFile(
      request,
      JSON.stringify({
        jobId: 'req-1',
        pluginName: 'dns-enum',
        version: '0.1.0',
        target: 'sub.example.org',
        serializedConfig: config,
        scopeId: 'scope-ü',
      }),
    );
    const bundle = join(project, 'dist', 'dns-enum-0.1.0.aurion');
    const r = await runCli([
      'run',
      bundle,
      '--trusted-key',
      join(KEYS, 'example.pub'),
      '--request',
      request,
      '--json',
    ]);
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
    const expected = computeCacheKey({
      name: 'dns-enum',
      version: '0.1.0',
      config,
      scope: 'scope-ü',
    }).cacheKey;
    assert.equal(r.json.job_result.cache_key, expected);
    assert.deepEqual(r.json.job_result.output_json.candidates, ['ns1.sub.example.org']);
  });

  it('a plugin Err is JOB_FAILED (exit 1) under `run`, with the message in output_json.error', async () => {
    const bundle = join(project, 'dist', 'dns-enum-0.1.0.aurion');
    const r = await runCli([
      'run',
      bundle,
      '--trusted-key',
      join(KEYS, 'example.pub'),
      '--target',
      'example.com',
      '--config',
      '{"labels":[1]}',
      '--scope',
      's',
      '--json',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.json.ok, false);
    assert.equal(r.json.error.code, 'JOB_FAILED');
    assert.deepEqual(r.json.job_result.output_json, { error: 'config.labels: 1 is not a string' });
    assert.equal(r.json.job_result.cache_key, r.json.expected_cache_key);
  });

  it('answers the job contract: job_id and the cache key the host computes, every number intact', async (t) => {
    const dir = await tempDir(t);
    const config = HARD_CONFIG;
    const fields = {
      job_id: 'job-42',
      plugin_name: 'dns-enum',
      version: '0.1.0',
      target: 'example.com',
      scope_id: 'scope-1',
    };
    const ran = await runExport(module, 'dns-enum', stdinRequest(fields, config), dir);
    assert.equal(ran.status, 0, ran.stderr);
    const lines = ran.stdout.split('\n');
    assert.equal(lines.length, 2, ran.stdout);
    assert.equal(lines[1], '');
    const result = JSON.parse(lines[0]!);
    assert.deepEqual(Object.keys(result).sort(), ['cache_key', 'job_id', 'output_json', 'success']);
    assert.equal(result.job_id, 'job-42');
    assert.equal(result.success, true);
    assert.deepEqual(result.output_json, {
      target: 'example.com',
      candidates: ['www.example.com', 'api.example.com'],
    });
    const expected = computeCacheKey({
      name: 'dns-enum',
      version: '0.1.0',
      config,
      scope: 'scope-1',
    }).cacheKey;
    assert.equal(result.cache_key, expected);
    // The same config with 9007199254740992 (what JavaScript's JSON.parse would make of ...993) is another key.
    const rounded = computeCacheKey({
      name: 'dns-enum',
      version: '0.1.0',
      config: config.replace('993', '992'),
      scope: 'scope-1',
    });
    assert.notEqual(result.cache_key, rounded.cacheKey);
  });

  it('keys on the request plugin_name and version, and turns an Err into success: false', async (t) => {
    const dir = await tempDir(t);
    const fields = {
      job_id: 'j',
      plugin_name: 'dns-enum',
      version: '0.2.0-rc.1',
      target: 'example.org',
      scope_id: 's',
    };
    const ran = await runExport(module, 'dns-enum', stdinRequest(fields, '{"labels":5}'), dir);
    assert.equal(ran.status, 0, ran.stderr);
    const result = JSON.parse(ran.stdout);
    assert.equal(result.success, false);
    assert.deepEqual(result.output_json, { error: 'config.labels must be an array of strings, not 5' });
    assert.equal(
      result.cache_key,
      computeCacheKey({ name: 'dns-enum', version: '0.2.0-rc.1', config: '{"labels":5}', scope: 's' })
        .cacheKey,
    );
  });

  it('fails (non-zero, reason on stderr, nothing on stdout) on a request that is not one job object', async (t) => {
    const dir = await tempDir(t);
    for (const stdin of [
      '',
      'not json',
      '{"job_id":"j"}',
      `${stdinRequest({ job_id: 'j', plugin_name: 'p', version: '1', target: 't', scope_id: 's' }, '{}')} {}`,
    ]) {
      const ran = await runExport(module, 'dns-enum', stdin, dir);
      assert.equal(ran.status, 1, stdin);
      assert.equal(ran.stdout, '');
      assert.match(ran.stderr, /cannot read the job request on stdin/);
    }
  });
});
