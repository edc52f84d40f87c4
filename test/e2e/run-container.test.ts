/** run with container bundles (SPEC §8): the hardened command, the missing engine, and a stand-in engine. */
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { computeCacheKey } from '../../src/core/cachekey.js';
import { loadPrivateKey } from '../../src/core/keys.js';
import { buildBundle } from '../../src/ops/build.js';
import { signBundle } from '../../src/ops/sign.js';
import { containerManifestValue as containerSourceManifest, IMAGE_DIGEST } from '../fixtures/manifests.js';
import { writeProject } from '../fixtures/projects.js';
import { assertCliError, runCli, tempDir } from '../helpers.js';
import { KEY, PUB } from '../ops/run-fixtures.js';

const TRUST = ['--trusted-key', PUB];
const IMAGE = `registry.example/org/port-scan@sha256:${IMAGE_DIGEST}`;
/** The version of the fixture's container plugin (test/fixtures/manifests.ts). */
const VERSION = containerSourceManifest()['version'] as string;
const JOB = [
  '--target',
  'example.com',
  '--config',
  '{"ports":[22,443]}',
  '--scope',
  's-1',
  '--job-id',
  'c-1',
];
const KEY_OF_JOB = computeCacheKey({
  name: 'port-scan',
  version: VERSION,
  config: '{"ports":[22,443]}',
  scope: 's-1',
}).cacheKey;

async function containerBundle(t: Parameters<typeof tempDir>[0]): Promise<{ dir: string; bundle: string }> {
  const dir = await tempDir(t);
  // A Low-risk container plugin, so that these tests need no authorization.
  const manifest = { ...containerSourceManifest(), capabilities: ['PassiveEnum'], risk_class: 'Low' };
  await writeProject(join(dir, 'project'), manifest, null);
  const { bundle } = await buildBundle({ dir: join(dir, 'project') });
  await signBundle(bundle, { key: loadPrivateKey(await readFile(KEY), undefined, KEY) });
  return { dir, bundle };
}

function hardened(engine: string, memory: string, env: string[]): string[] {
  return [
    engine,
    'run',
    '--rm',
    '-i',
    '--pull',
    'never',
    '--network',
    'none',
    '--read-only',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--security-opt',
    'seccomp=runtime/default',
    '--security-opt',
    'apparmor=runtime/default',
    '--user',
    '10001:10001',
    '--memory',
    memory,
    '--pids-limit',
    '256',
    ...env,
    IMAGE,
  ];
}

/** A stand-in engine on PATH: records its argv and stdin in `dir`, prints `answer`, exits with `status`. */
async function fakeEngine(dir: string, name: string, answer: string, status = 0): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  const script = join(bin, name);
  await writeFile(
    script,
    // Shell builtins only: PATH holds nothing but this folder. The stdin object is one line without a newline.
    `#!/bin/sh\nprintf '%s\\n' "$0" "$@" > "${dir}/argv.txt"\nIFS= read -r line\nprintf '%s' "$line" > "${dir}/stdin.json"\nprintf '%s' '${answer}'\nexit ${status}\n`,
  );
  await chmod(script, 0o755);
  return bin;
}

describe('run: container bundles', () => {
  it('--print-command prints the hardened argv: declared env names only when set, never values', async (t) => {
    const { bundle } = await containerBundle(t);
    const r = await runCli(['run', bundle, ...TRUST, '--print-command', '--json'], {
      env: { API_TOKEN: 'secret-value' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json, { ok: true, argv: hardened('docker', '64m', ['--env', 'API_TOKEN']) });
    assert.doesNotMatch(r.stdout, /secret-value/);
    const unset = await runCli(
      ['run', bundle, ...TRUST, '--print-command', '--engine', 'podman', '--memory', '32MiB', '--json'],
      {
        env: { API_TOKEN: undefined },
      },
    );
    assert.equal(unset.code, 0, unset.stderr);
    assert.deepEqual(unset.json.argv, hardened('podman', '32m', []));
    const text = await runCli(['run', bundle, ...TRUST, '--print-command'], {
      env: { API_TOKEN: undefined },
    });
    assert.equal(text.stdout, `${hardened('docker', '64m', []).join(' ')}\n`);
  });

  it('--print-command verifies first', async (t) => {
    const { bundle } = await containerBundle(t);
    assertCliError(await runCli(['run', bundle, '--print-command', '--json']), 2, 'USAGE');
    const other = join(await tempDir(t), 'other.pub');
    const { generateEd25519KeyPair } = await import('../../src/core/keys.js');
    await writeFile(other, generateEd25519KeyPair().publicPem);
    assertCliError(
      await runCli(['run', bundle, '--trusted-key', other, '--print-command', '--json']),
      1,
      'KEY_UNTRUSTED',
    );
  });

  it('without the engine on PATH: UNSUPPORTED (4)', async (t) => {
    const { dir, bundle } = await containerBundle(t);
    const r = await runCli(['run', bundle, ...TRUST, ...JOB, '--json'], {
      env: { PATH: join(dir, 'empty') },
    });
    assertCliError(r, 4, 'UNSUPPORTED');
    assert.match(r.json.error.message, /docker is not on PATH/);
  });

  it('runs the hardened command with the engine on PATH and checks its answer', async (t) => {
    const { dir, bundle } = await containerBundle(t);
    const answer = JSON.stringify({
      job_id: 'c-1',
      success: true,
      output_json: { open: [443] },
      cache_key: KEY_OF_JOB,
    });
    const bin = await fakeEngine(dir, 'podman', answer);
    const r = await runCli(['run', bundle, ...TRUST, ...JOB, '--engine', 'podman', '--json'], {
      env: { PATH: bin, API_TOKEN: 'v' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.job_result.output_json, { open: [443] });
    const argv = (await readFile(join(dir, 'argv.txt'), 'utf8')).trimEnd().split('\n');
    assert.deepEqual(argv, [
      join(bin, 'podman'),
      ...hardened('podman', '64m', ['--env', 'API_TOKEN']).slice(1),
    ]);
    const stdin = JSON.parse(await readFile(join(dir, 'stdin.json'), 'utf8'));
    assert.deepEqual(stdin, {
      job_id: 'c-1',
      plugin_name: 'port-scan',
      version: VERSION,
      target: 'example.com',
      config: { ports: [22, 443] },
      scope_id: 's-1',
    });
  });

  it("the engine's failures and wrong answers get the same codes", async (t) => {
    const wrongKey = JSON.stringify({ job_id: 'c-1', success: true, output_json: null, cache_key: 'x' });
    const cases: Array<[string, number, string, RegExp]> = [
      [wrongKey, 0, 'CACHE_KEY_MISMATCH', /"x" is not the expected/],
      ['not json', 0, 'RESULT_INVALID', /not one JSON object/],
      ['', 125, 'PLUGIN_FAILED', /exited with status 125/],
    ];
    for (const [answer, status, code, message] of cases) {
      const { dir, bundle } = await containerBundle(t);
      const bin = await fakeEngine(dir, 'docker', answer, status);
      const r = await runCli(['run', bundle, ...TRUST, ...JOB, '--json'], { env: { PATH: bin } });
      assertCliError(r, 1, code as never);
      assert.match(r.json.error.message, message);
    }
  });
});
