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

const PLUGIN_WAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) (i32.const 0)))`;

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
