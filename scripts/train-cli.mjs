// Build step (scripts/build.mjs): runs the bundled CLI's main commands once on a throw-away plugin, in this
// process, then saves the code V8 compiled for them as the bundle's code cache (src/cli/launch.ts). Output of
// the commands goes to stdout, which the build discards; any command that fails fails the build.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initWabt from 'wabt';

// The launcher the bin uses (CommonJS; the same code as dist/src/cli/launch.js).
const { loadCli } = createRequire(import.meta.url)('../dist/src/cli/launch.cjs');

const { computeCacheKey } = await import('../dist/src/core/cachekey.js');

// The job `run` is trained with, and the plugin's answer to it: a correct one, so that the code of a successful
// run (the sandbox, the job contract's checks, the report) is in the cache.
const JOB = { id: 'train-job', target: 'example.com', config: '{}', scope: 'train-scope' };
const { cacheKey } = computeCacheKey({
  name: 'train',
  version: '1.0.0',
  config: JOB.config,
  scope: JOB.scope,
});
const ANSWER = `${JSON.stringify({ job_id: JOB.id, success: true, cache_key: cacheKey, output_json: {} })}\n`;
const PLUGIN_WAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) ${JSON.stringify(ANSWER)})
  (func (export "run") (result i32)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const ${Buffer.byteLength(ANSWER)}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.const 0)))`;

const dir = mkdtempSync(join(tmpdir(), 'aurion-train-'));
try {
  const plugin = join(dir, 'plugin');
  mkdirSync(plugin);
  const wabt = await initWabt();
  const module = wabt.parseWat('train.wat', PLUGIN_WAT);
  writeFileSync(join(plugin, 'plugin.wasm'), module.toBinary({}).buffer);
  module.destroy();
  writeFileSync(
    join(plugin, 'manifest.json'),
    JSON.stringify({
      schema_version: 1,
      name: 'train',
      version: '1.0.0',
      capabilities: ['PassiveEnum'],
      risk_class: 'Low',
      runtime: 'wasm',
      module: { path: 'plugin.wasm' },
    }),
  );
  const pair = generateKeyPairSync('ed25519');
  const key = join(dir, 'train.key');
  const pub = join(dir, 'train.pub');
  writeFileSync(key, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  writeFileSync(pub, pair.publicKey.export({ format: 'pem', type: 'spki' }));
  const bundle = join(dir, 'train.aurion');

  const cli = loadCli();
  for (const argv of [
    ['build', plugin, '-o', bundle],
    ['sign', bundle, '--key', key],
    ['verify', bundle, '--trusted-key', pub],
    ['verify', bundle, '--trusted-key', pub, '--json'],
    ['inspect', bundle, '--trusted-key', pub, '--json'],
    // twice: the first run's code runs once more, as V8 compiles it lazily
    ...[1, 2].map(() => [
      'run',
      bundle,
      '--trusted-key',
      pub,
      '--target',
      JOB.target,
      '--config',
      JOB.config,
      '--scope',
      JOB.scope,
      '--job-id',
      JOB.id,
    ]),
    ['publish', bundle, '--registry', join(dir, 'registry'), '--trusted-key', pub],
    [
      'pull',
      'train@1.0.0',
      '--registry',
      join(dir, 'registry'),
      '-o',
      join(dir, 'pulled.aurion'),
      '--trusted-key',
      pub,
    ],
  ]) {
    const code = await cli.main(argv);
    if (code !== 0) throw new Error(`training run of \`aurion-plugin ${argv[0]}\` exited with ${code}`);
  }
  cli.saveCache();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
