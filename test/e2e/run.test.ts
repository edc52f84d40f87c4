import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertCliError, runCli, tempDir } from '../helpers.js';
import {
  CORRECT,
  ECHO_BODY,
  EXPECTED_KEY,
  echoResult,
  JOB,
  JOB_FLAGS,
  module,
  PUB,
  pluginBundle,
} from '../ops/run-fixtures.js';

const TRUST = ['--trusted-key', PUB];

async function bundleOf(
  t: Parameters<typeof tempDir>[0],
  watText: string,
  manifest: Record<string, unknown> = {},
) {
  return pluginBundle(join(await tempDir(t), 'plugin'), watText, manifest);
}

describe('run: a correct plugin', () => {
  it('runs after verifying, hands the config over exactly, checks the key (--json)', async (t) => {
    const bundle = await bundleOf(t, CORRECT);
    const r = await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.ok, true);
    assert.deepEqual(r.json.plugin, { name: 'dns-enum', version: '1.2.0', effective_risk_class: 'Low' });
    assert.equal(r.json.signer.algorithm, 'ed25519');
    assert.equal(r.json.authorization, null);
    assert.equal(r.json.expected_cache_key, EXPECTED_KEY);
    assert.equal(r.json.job_result.cache_key, EXPECTED_KEY);
    assert.equal(r.json.job_result.job_id, JOB.jobId);
    assert.equal(r.json.job_result.success, true);
    assert.deepEqual(r.json.limits, { memory_mib: 64, timeout_seconds: 300 });
    assert.equal(typeof r.json.duration_ms, 'number');
    assert.equal(r.json.error, undefined);
    // The plugin's stdin object, echoed: every field, and no authorization.
    const seen = r.json.job_result.output_json;
    assert.deepEqual(Object.keys(seen), ['job_id', 'plugin_name', 'version', 'target', 'config', 'scope_id']);
    assert.equal(seen.plugin_name, 'dns-enum');
    assert.equal(seen.target, JOB.target);
    // --json keeps output_json's numbers exactly as the plugin wrote them, too.
    assert.match(r.stdout, /"n": 9007199254740993,/);
    assert.match(r.stdout, /"list": \[\n\s+1\.0,/);
  });

  it('prints output_json with every number as written (text mode) and a summary on stderr', async (t) => {
    const bundle = await bundleOf(t, CORRECT);
    const r = await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS]);
    assert.equal(r.code, 0, r.stderr);
    // The config text reached the plugin as written: 9007199254740993 (not ...992) and 1.0 (not 1).
    assert.match(r.stdout, /"n": 9007199254740993,/);
    assert.match(r.stdout, /"list": \[\n\s+1\.0,\n\s+2\n/);
    assert.match(r.stderr, /dns-enum@1\.2\.0 job "job-1" succeeded/);
    assert.match(r.stderr, new RegExp(EXPECTED_KEY));
  });

  it('takes the job as a proto3 JSON request, from a file or stdin, camelCase or snake_case', async (t) => {
    const bundle = await bundleOf(t, CORRECT);
    const camel = JSON.stringify({
      jobId: JOB.jobId,
      pluginName: 'dns-enum',
      version: '1.2.0',
      target: JOB.target,
      serializedConfig: JOB.config,
      scopeId: JOB.scopeId,
      authorizationBundle: '',
    });
    const r1 = await runCli(['run', bundle, ...TRUST, '--request', '-', '--json'], { input: camel });
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r1.json.job_result.job_id, JOB.jobId);
    const snake = JSON.stringify({
      job_id: JOB.jobId,
      plugin_name: 'dns-enum',
      version: '1.2.0',
      target: JOB.target,
      serialized_config: JOB.config,
      scope_id: JOB.scopeId,
    });
    const file = join(await tempDir(t), 'job.json');
    await writeFile(file, snake);
    const r2 = await runCli(['run', bundle, ...TRUST, '--request', file, '--json']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(r2.json.expected_cache_key, EXPECTED_KEY);
    assertCliError(
      await runCli(['run', bundle, ...TRUST, '--request', join(file, '..', 'missing.json'), '--json']),
      4,
      'IO_ERROR',
    );
  });

  it('proc_exit(0) after the answer is success', async (t) => {
    const body = `(local.set $n (call $stdin)) (call $prefix)
      (call $write (i32.const 65536) (local.get $n) (i32.const 1)) (call $suffix)
      (call $proc_exit (i32.const 0)) (i32.const 1)`;
    const bundle = await bundleOf(t, module({ body, ...echoResult() }));
    const r = await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.ok, true);
  });

  it('sees no preopened directory, an empty environment and argv = [name]', async (t) => {
    // Answers correctly only when: no environment variable, fd 3 is not a preopen, argc 1, argv[0] "dns-enum".
    const imports = `
      (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))`;
    const extra = '(data (i32.const 12288) "dns-enum\\00")';
    const body = `(drop (call $environ_sizes_get (i32.const 32) (i32.const 36)))
      (if (i32.ne (i32.load (i32.const 32)) (i32.const 0)) (then (unreachable)))
      (if (i32.ne (call $fd_prestat_get (i32.const 3) (i32.const 40)) (i32.const 8)) (then (unreachable)))
      (drop (call $args_sizes_get (i32.const 48) (i32.const 52)))
      (if (i32.ne (i32.load (i32.const 48)) (i32.const 1)) (then (unreachable)))
      (if (i32.ne (i32.load (i32.const 52)) (i32.const 9)) (then (unreachable)))
      (drop (call $args_get (i32.const 56) (i32.const 12800)))
      (if (i64.ne (i64.load (i32.const 12800)) (i64.load (i32.const 12288))) (then (unreachable)))
      ${ECHO_BODY}`;
    const bundle = await bundleOf(t, module({ body, imports, extra, ...echoResult() }));
    const r = await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--json'], { env: { SECRET_TOKEN: 'x' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.ok, true);
  });

  it("passes the plugin's stderr through, ended with a newline before run's own lines", async (t) => {
    const extra = '(data (i32.const 12288) "plugin log: working")';
    const body = `(call $write (i32.const 12288) (i32.const 19) (i32.const 2)) ${ECHO_BODY}`;
    const bundle = await bundleOf(t, module({ body, extra, ...echoResult() }));
    const r = await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^plugin log: working\n✓ dns-enum@1\.2\.0/);
    assert.doesNotMatch(r.stderr, /ExperimentalWarning/);
  });
});

describe('run: stderr', () => {
  it('keeps at most 1 MiB of the plugin stderr and says it was cut', async (t) => {
    // 40 writes of 64 KiB (2.5 MiB) to stderr, then the right answer.
    const body = `(loop $more
        (call $write (i32.const 65536) (i32.const 65536) (i32.const 2))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $more (i32.lt_u (local.get $i) (i32.const 40))))
      (memory.fill (i32.const 65536) (i32.const 0) (i32.const 65536))
      ${ECHO_BODY}`;
    const bundle = await bundleOf(t, module({ body, memory: '3', ...echoResult() }));
    const r = await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.split('\n');
    assert.equal(lines[0]!.length, 1024 * 1024);
    assert.equal(lines[1], "warning: the plugin's stderr was cut at 1 MiB");
  });
});

describe('run: plugins that fail the contract', () => {
  const cases: Array<{ name: string; wat: string; code: string; message: RegExp; flags?: string[] }> = [
    {
      name: 'a trap',
      wat: module({ body: '(unreachable)' }),
      code: 'PLUGIN_FAILED',
      message: /trapped: unreachable/,
    },
    {
      name: 'run returning non-zero',
      wat: module({ body: `${ECHO_BODY.replace(/\(i32\.const 0\)$/, '(i32.const 7)')}`, ...echoResult() }),
      code: 'PLUGIN_FAILED',
      message: /run returned 7/,
    },
    {
      name: 'proc_exit(3)',
      wat: module({ body: '(call $proc_exit (i32.const 3)) (i32.const 0)' }),
      code: 'PLUGIN_FAILED',
      message: /exited with status 3/,
    },
    {
      name: 'an endless loop (stopped at --timeout)',
      wat: module({ body: '(loop $forever (br $forever)) (i32.const 0)' }),
      code: 'PLUGIN_FAILED',
      message: /^timed out after 1 s$/,
      flags: ['--timeout', '1'],
    },
    {
      name: 'garbage on stdout',
      wat: module({ body: '(call $prefix) (i32.const 0)', prefix: 'hello, world\n' }),
      code: 'RESULT_INVALID',
      message: /not one JSON object/,
    },
    {
      name: 'nothing on stdout',
      wat: module({ body: '(i32.const 0)' }),
      code: 'RESULT_INVALID',
      message: /wrote nothing on stdout/,
    },
    {
      name: 'a field of the wrong type',
      wat: module({
        body: '(call $prefix) (i32.const 0)',
        prefix: `{"job_id":"job-1","success":"yes","output_json":null,"cache_key":"${EXPECTED_KEY}"}`,
      }),
      code: 'RESULT_INVALID',
      message: /success must be a boolean/,
    },
    {
      name: 'the wrong job id',
      wat: module({ body: ECHO_BODY, ...echoResult(EXPECTED_KEY, 'job-2') }),
      code: 'RESULT_INVALID',
      message: /answered for job "job-2", not for this job "job-1"/,
    },
    {
      name: 'the wrong cache key',
      wat: module({ body: ECHO_BODY, ...echoResult('0'.repeat(64)) }),
      code: 'CACHE_KEY_MISMATCH',
      message: new RegExp(`"${'0'.repeat(64)}" is not the expected ${EXPECTED_KEY}`),
    },
    {
      name: 'success: false',
      wat: module({ body: ECHO_BODY, ...echoResult(EXPECTED_KEY, 'job-1', false) }),
      code: 'JOB_FAILED',
      message: /success: false/,
    },
    {
      name: 'more than 16 MiB on stdout',
      wat: module({
        body: `(loop $more
            (call $write (i32.const 65536) (i32.const 65536) (i32.const 1))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $more (i32.lt_u (local.get $i) (i32.const 300))))
          (i32.const 0)`,
        memory: '3',
      }),
      code: 'RESULT_INVALID',
      message: /more than 16 MiB on stdout/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.code}`, async (t) => {
      const bundle = await bundleOf(t, c.wat);
      const r = await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, ...(c.flags ?? []), '--json']);
      assertCliError(r, 1, c.code as never);
      assert.match(r.json.error.message, c.message);
      assert.equal(r.json.plugin.name, 'dns-enum');
      assert.equal(r.json.expected_cache_key, EXPECTED_KEY);
      if (c.code === 'PLUGIN_FAILED') assert.equal(r.json.job_result, null);
      // Text mode says the same on stderr.
      const text = await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, ...(c.flags ?? [])]);
      assert.equal(text.code, 1);
      assert.match(text.stderr, /^✗ dns-enum@1\.2\.0 failed after \d+ ms\nerror: /);
      assert.match(text.stderr.split('\n')[1]!, new RegExp(c.message.source.replace(/^\^|\$$/g, '')));
    });
  }
});

describe('run: the memory cap', () => {
  // Grows one page at a time until memory.grow fails, whatever maximum the module declares (here 4 GiB).
  const grower = (expectedPages: number) =>
    module({
      memory: '2 65536',
      body: `(block $full (loop $grow
          (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
          (br $grow)))
        (if (i32.ne (memory.size) (i32.const ${expectedPages})) (then (unreachable)))
        ${ECHO_BODY}`,
      ...echoResult(),
    });

  it('memory.grow past --memory returns -1 inside the plugin', async (t) => {
    const bundle = await bundleOf(t, grower(16));
    const r = await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--memory', '1MiB', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.limits.memory_mib, 1);
  });

  it('and past limits.memory_mib of the manifest', async (t) => {
    const bundle = await bundleOf(t, grower(32), { limits: { memory_mib: 2, timeout_seconds: 300 } });
    const r = await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.limits, { memory_mib: 2, timeout_seconds: 300 });
  });

  it('a plugin that traps at the cap is told so', async (t) => {
    const body = `(block $full (loop $grow
        (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $grow)))
      (unreachable)`;
    const bundle = await bundleOf(t, module({ body }));
    const r = await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--memory', '1MiB', '--json']);
    assertCliError(r, 1, 'PLUGIN_FAILED');
    assert.match(r.json.error.message, /^memory limit of 1 MiB reached/);
  });

  it('--memory and --timeout may only lower the limits', async (t) => {
    const bundle = await bundleOf(t, CORRECT, { limits: { memory_mib: 2, timeout_seconds: 10 } });
    assertCliError(
      await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--memory', '3MiB', '--json']),
      2,
      'USAGE',
    );
    assertCliError(
      await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--timeout', '11', '--json']),
      2,
      'USAGE',
    );
    assertCliError(
      await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--timeout', '0', '--json']),
      2,
      'USAGE',
    );
    const ok = await runCli([
      'run',
      bundle,
      ...TRUST,
      ...JOB_FLAGS,
      '--timeout',
      '5',
      '--memory',
      '1MiB',
      '--json',
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(ok.json.limits, { memory_mib: 1, timeout_seconds: 5 });
  });
});

describe('run: refused before anything runs', () => {
  // The launcher starts the sandbox thread before the bundle is read: an unused thread must not keep the CLI alive.
  it('a missing bundle: IO_ERROR, and the CLI exits', { timeout: 60_000 }, async (t) => {
    const r = await runCli([
      'run',
      join(await tempDir(t), 'missing.aurion'),
      ...TRUST,
      ...JOB_FLAGS,
      '--json',
    ]);
    assertCliError(r, 4, 'IO_ERROR');
  });

  it('a host import: HOST_IMPORT_UNAVAILABLE naming it', async (t) => {
    const imports = '(import "aurion_net" "http_get" (func $http_get (param i32 i32) (result i32)))';
    const bundle = await bundleOf(t, module({ body: '(unreachable)', imports }), {
      host_imports: ['aurion_net'],
    });
    const r = await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--json']);
    assertCliError(r, 4, 'HOST_IMPORT_UNAVAILABLE');
    assert.match(r.json.error.message, /aurion_net\.http_get/);
  });

  it('no trust flag: USAGE; an unsigned or untrusted bundle never runs', async (t) => {
    const bundle = await bundleOf(t, CORRECT);
    assertCliError(await runCli(['run', bundle, ...JOB_FLAGS, '--json']), 2, 'USAGE');
    const dir = await tempDir(t);
    const [{ writeProject }, { sourceManifest }, { wat }] = await Promise.all([
      import('../fixtures/projects.js'),
      import('../fixtures/manifests.js'),
      import('../fixtures/modules.js'),
    ]);
    const { buildBundle } = await import('../../src/ops/build.js');
    await writeProject(dir, sourceManifest({ supported_scopes: undefined }), await wat(CORRECT));
    const unsigned = (await buildBundle({ dir })).bundle;
    assertCliError(await runCli(['run', unsigned, ...TRUST, ...JOB_FLAGS, '--json']), 1, 'UNSIGNED');
    const { generateEd25519KeyPair } = await import('../../src/core/keys.js');
    const { writeFile } = await import('node:fs/promises');
    const other = join(dir, 'other.pub');
    await writeFile(other, generateEd25519KeyPair().publicPem);
    assertCliError(
      await runCli(['run', bundle, '--trusted-key', other, ...JOB_FLAGS, '--json']),
      1,
      'KEY_UNTRUSTED',
    );
  });

  it('invalid requests: REQUEST_INVALID (3)', async (t) => {
    const bundle = await bundleOf(t, CORRECT);
    const base = {
      jobId: 'j',
      pluginName: 'dns-enum',
      version: '1.2.0',
      target: 'example.com',
      serializedConfig: '{}',
      scopeId: 's',
    };
    const bad: Array<[string, unknown]> = [
      ['unknown field', { ...base, extra: 'x' }],
      ['other plugin', { ...base, pluginName: 'other' }],
      ['other version', { ...base, version: '1.2.1' }],
      ['config not JSON', { ...base, serializedConfig: '{nope' }],
      ['config too deep', { ...base, serializedConfig: `${'['.repeat(127)}${']'.repeat(127)}` }],
      ['a field twice', JSON.parse(`{"jobId":"a","job_id":"b"}`)],
      ['not a string', { ...base, jobId: 1 }],
    ];
    for (const [what, request] of bad) {
      const r = await runCli(['run', bundle, ...TRUST, '--request', '-', '--json'], {
        input: JSON.stringify(request),
      });
      assertCliError(r, 3, 'REQUEST_INVALID');
      assert.ok(r.json.error.message.length > 0, what);
    }
    // 126 levels of config are the most, and they run.
    const deep = `${'['.repeat(126)}${']'.repeat(126)}`;
    const ok = await runCli(['run', bundle, ...TRUST, '--request', '-', '--json'], {
      input: JSON.stringify({ ...base, serializedConfig: deep }),
    });
    assert.equal(ok.json?.error?.code === 'REQUEST_INVALID', false, ok.stdout);
    // --config that is not JSON, via the flags.
    const flags = await runCli([
      'run',
      bundle,
      ...TRUST,
      '--target',
      'a.example',
      '--config',
      '{',
      '--scope',
      's',
      '--json',
    ]);
    assertCliError(flags, 3, 'REQUEST_INVALID');
  });

  it('usage errors: USAGE (2)', async (t) => {
    const bundle = await bundleOf(t, CORRECT);
    assertCliError(await runCli(['run', bundle, ...TRUST, '--json']), 2, 'USAGE');
    assertCliError(await runCli(['run', bundle, ...TRUST, '--target', 'x.example', '--json']), 2, 'USAGE');
    assertCliError(
      await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--request', '-', '--json']),
      2,
      'USAGE',
    );
    assertCliError(await runCli(['run', bundle, ...TRUST, '--print-command', '--json']), 2, 'USAGE');
    assertCliError(
      await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--engine', 'lxc', '--json']),
      2,
      'USAGE',
    );
  });
});
