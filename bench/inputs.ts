/**
 * Benchmark inputs that look like real plugins. Random bytes are pathological for deflate (inflating them is
 * several times slower than inflating code), so every module here is a valid wasm module — a tiny WASI plugin
 * that exports `run`, compiled from WAT with wabt — plus one large custom section filled with the bytes of a
 * real Rust-compiled module: `wasm_bg.wasm` of the `@swc/wasm` npm package (18 MB, gzip -6 keeps ~30%).
 * That package is fetched on demand with `npm pack` into a cache folder outside git, never a dependency.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import initWabt from 'wabt';
import { computeCacheKey } from '../src/core/cachekey.js';

export const SWC_PACKAGE = '@swc/wasm@1.16.18';
/** SHA-256 of wasm_bg.wasm in that version: the inputs are the same bytes on every machine. */
const SWC_WASM_SHA256 = '67659614a2ca8504a8b33f4e3f261489bd9b700dd12058894b22788a3c61eda5';
export const MiB = 1024 * 1024;

/** The real compiled module, fetched once into `cache`. */
export function realWasm(cache: string): Buffer {
  const dir = join(cache, 'swc-wasm-1.16.18');
  const file = join(dir, 'package', 'wasm_bg.wasm');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const out = execFileSync('npm', ['pack', SWC_PACKAGE, '--silent', '--pack-destination', dir], {
      encoding: 'utf8',
    });
    const tgz = join(dir, out.trim().split('\n').pop()!);
    execFileSync('tar', ['-xzf', tgz, '-C', dir, 'package/wasm_bg.wasm']);
  }
  const bytes = readFileSync(file);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== SWC_WASM_SHA256) throw new Error(`${file}: unexpected sha256 ${sha}; delete ${dir} and rerun`);
  return bytes;
}

/** A minimal WASI plugin: one WASI import, one page of memory, exports `memory` and `run`. */
const PLUGIN_WAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "bench: ok\\n")
  (func (export "run") (result i32)
    (i32.store (i32.const 0) (i32.const 8))
    (i32.store (i32.const 4) (i32.const 10))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 24)))
    (i32.const 0)))`;

let pluginCode: Uint8Array | undefined;
async function pluginModule(): Promise<Uint8Array> {
  if (pluginCode === undefined) {
    const wabt = await initWabt();
    const module = wabt.parseWat('bench.wat', PLUGIN_WAT);
    pluginCode = module.toBinary({}).buffer;
    module.destroy();
  }
  return pluginCode;
}

function uleb(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

const SECTION_NAME = Buffer.from('bench.payload');

/**
 * Writes a valid wasm module of exactly `size` bytes to `path` (streamed: never the whole module in memory):
 * the plugin's code, then a custom section whose payload repeats `real` from its start.
 */
export async function writeModule(path: string, size: number, real: Buffer): Promise<void> {
  const code = await pluginModule();
  // Custom section: id 0, content size (LEB128), name length, name, payload. Solve for the payload length.
  let payload = size - code.length - 1 - SECTION_NAME.length - 1;
  for (;;) {
    const content = uleb(SECTION_NAME.length).length + SECTION_NAME.length + payload;
    const total = code.length + 1 + uleb(content).length + content;
    if (total === size) break;
    payload -= total - size;
  }
  if (payload < 0) throw new Error(`a module of ${size} bytes is too small for the plugin code`);
  const content = uleb(SECTION_NAME.length).length + SECTION_NAME.length + payload;
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, code);
    writeSync(fd, Buffer.concat([Buffer.from([0]), uleb(content), uleb(SECTION_NAME.length), SECTION_NAME]));
    for (let left = payload; left > 0; ) {
      const n = Math.min(left, real.length);
      writeSync(fd, real, 0, n);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** The manifest.json of a bench plugin project: a Low-risk wasm plugin whose module is `plugin.wasm`. */
function writeManifest(dir: string, name: string, version: string, description: string): void {
  const manifest = {
    schema_version: 1,
    name,
    version,
    description,
    capabilities: ['PassiveEnum'],
    risk_class: 'Low',
    runtime: 'wasm',
    module: { path: 'plugin.wasm' },
    limits: { memory_mib: 64, timeout_seconds: 300 },
  };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** A plugin project folder: manifest.json naming `plugin.wasm`, and that module of `size` bytes. */
export async function writePluginProject(
  dir: string,
  name: string,
  size: number,
  real: Buffer,
): Promise<{ dir: string; module: string }> {
  mkdirSync(dir, { recursive: true });
  const module = join(dir, 'plugin.wasm');
  if (!existsSync(module) || statSync(module).size !== size) await writeModule(module, size, real);
  writeManifest(dir, name, '1.0.0', 'benchmark plugin (real compiled code in a custom section)');
  return { dir, module };
}

/** The job P8 runs: fixed, so that the plugin can answer it with its cache key written in. */
export const RUN_JOB = {
  jobId: 'bench-job',
  target: 'example.com',
  config: '{"depth":2}',
  scopeId: 'bench-scope',
};

/**
 * A small correct plugin for `run` (P8): it answers RUN_JOB with a result that passes every check of the job
 * contract (job id, cache key, output_json), through fd_write like a WASI plugin does.
 */
export async function writeRunProject(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const name = 'bench-run';
  const version = '1.0.0';
  const { cacheKey } = computeCacheKey({ name, version, config: RUN_JOB.config, scope: RUN_JOB.scopeId });
  const answer = `${JSON.stringify({ job_id: RUN_JOB.jobId, success: true, cache_key: cacheKey, output_json: { found: [] } })}\n`;
  const wat = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) ${JSON.stringify(answer)})
  (func (export "run") (result i32)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const ${Buffer.byteLength(answer)}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.const 0)))`;
  const wabt = await initWabt();
  const module = wabt.parseWat('run.wat', wat);
  writeFileSync(join(dir, 'plugin.wasm'), module.toBinary({}).buffer);
  module.destroy();
  writeManifest(dir, name, version, 'benchmark plugin for run');
  return dir;
}

/**
 * A directory registry at scale (P9): `plugins` other plugins with `versions` versions each, written straight
 * into `dir` (index.json and bundle files), shaped like the entry `template` holds for `name` (a registry where
 * one bundle of `name` was published through the CLI). Every filler file is a hard link of that one bundle:
 * publish, resolution and list read the index only. Returns the number of versions written.
 */
export function writeScaleRegistry(
  dir: string,
  template: string,
  name: string,
  plugins: number,
  versions: number,
): number {
  const index = JSON.parse(readFileSync(join(template, 'index.json'), 'utf8')) as {
    schema_version: 1;
    plugins: Record<string, Record<string, Record<string, unknown>>>;
  };
  const [version, entry] = Object.entries(index.plugins[name]!)[0]!;
  const source = join(template, 'plugins', name, `${name}-${version}.aurion`);
  const out: typeof index = { schema_version: 1, plugins: {} };
  for (let p = 0; p < plugins; p++) {
    const filler = `bench-filler-${String(p).padStart(3, '0')}`;
    mkdirSync(join(dir, 'plugins', filler), { recursive: true });
    const entries: Record<string, Record<string, unknown>> = {};
    for (let v = 0; v < versions; v++) {
      const ver = `1.${v}.0`;
      entries[ver] = { ...entry, published_at: `2026-01-01T00:${String(v % 60).padStart(2, '0')}:00Z` };
      linkSync(source, join(dir, 'plugins', filler, `${filler}-${ver}.aurion`));
    }
    out.plugins[filler] = entries;
  }
  writeFileSync(join(dir, 'index.json'), `${JSON.stringify(out, null, 2)}\n`);
  return plugins * versions;
}
