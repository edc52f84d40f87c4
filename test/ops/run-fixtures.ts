/**
 * Plugins for the run tests: small WAT modules, built and signed with the project's own build and sign and the
 * example key. One fixed job (JOB) whose cache key the test computes and embeds in the modules that answer it.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { computeCacheKey } from '../../src/core/cachekey.js';
import { loadPrivateKey } from '../../src/core/keys.js';
import { buildBundle } from '../../src/ops/build.js';
import { signBundle } from '../../src/ops/sign.js';
import { sourceManifest } from '../fixtures/manifests.js';
import { wat } from '../fixtures/modules.js';
import { writeProject } from '../fixtures/projects.js';
import { ROOT } from '../helpers.js';

export const KEY = join(ROOT, 'keys-example', 'example.key');
export const PUB = join(ROOT, 'keys-example', 'example.pub');

/** The fixed job: a config with an integer beyond JavaScript's safe range, which must reach the plugin exactly. */
export const JOB = {
  jobId: 'job-1',
  target: 'example.com',
  config: '{"n":9007199254740993,"list":[1.0,2]}',
  scopeId: 'scope-1',
} as const;
export const NAME = 'dns-enum';
export const VERSION = '1.2.0';
export const EXPECTED_KEY = computeCacheKey({
  name: NAME,
  version: VERSION,
  config: JOB.config,
  scope: JOB.scopeId,
}).cacheKey;

/** The flags of the fixed job for the CLI. */
export const JOB_FLAGS = [
  '--target',
  JOB.target,
  '--config',
  JOB.config,
  '--scope',
  JOB.scopeId,
  '--job-id',
  JOB.jobId,
];

/** Escapes text for a WAT data string. */
function data(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
}

/**
 * A module with helpers: $write(ptr, len, fd) and $stdin (reads all of stdin at 65536, returns its length);
 * `prefix` at 4096 and `suffix` at 8192 (lengths as globals), `body` is run's body (locals $n and $i declared), `extra` more module fields.
 */
export function module(options: {
  body: string;
  prefix?: string;
  suffix?: string;
  extra?: string;
  imports?: string;
  memory?: string;
}): string {
  const prefix = options.prefix ?? '';
  const suffix = options.suffix ?? '';
  return `(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  ${options.imports ?? ''}
  (memory (export "memory") ${options.memory ?? '2'})
  (data (i32.const 4096) "${data(prefix)}")
  (data (i32.const 8192) "${data(suffix)}")
  (global $prefix_len i32 (i32.const ${Buffer.byteLength(prefix)}))
  (global $suffix_len i32 (i32.const ${Buffer.byteLength(suffix)}))
  (func $write (param $ptr i32) (param $len i32) (param $fd i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $stdin (result i32)
    (local $total i32)
    (block $done
      (loop $more
        (i32.store (i32.const 16) (i32.add (i32.const 65536) (local.get $total)))
        (i32.store (i32.const 20) (i32.const 4096))
        (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
        (br_if $done (i32.eqz (i32.load (i32.const 24))))
        (local.set $total (i32.add (local.get $total) (i32.load (i32.const 24))))
        (br $more)))
    (local.get $total))
  (func $prefix (call $write (i32.const 4096) (global.get $prefix_len) (i32.const 1)))
  (func $suffix (call $write (i32.const 8192) (global.get $suffix_len) (i32.const 1)))
  ${options.extra ?? ''}
  (func (export "run") (result i32)
    (local $n i32)
    (local $i i32)
    ${options.body}))`;
}

/** A result for the fixed job whose output_json is the stdin object the plugin read. */
export function echoResult(key = EXPECTED_KEY, jobId: string = JOB.jobId, success = true) {
  return {
    prefix: `{"job_id":${JSON.stringify(jobId)},"success":${success},"cache_key":${JSON.stringify(key)},"output_json":`,
    suffix: '}\n',
  };
}

/** The body that writes prefix, the stdin it read, suffix, and returns 0. */
export const ECHO_BODY = `(local.set $n (call $stdin))
    (call $prefix)
    (call $write (i32.const 65536) (local.get $n) (i32.const 1))
    (call $suffix)
    (i32.const 0)`;

/** The correct plugin: echoes its stdin object as output_json, with the right job id and cache key. */
export const CORRECT = module({ body: ECHO_BODY, ...echoResult() });

/**
 * Builds and signs a plugin project in `dir` from WAT; returns the bundle path. `manifest` overrides fields of
 * the test manifest (capabilities, risk_class, limits, host_imports, ...).
 */
export async function pluginBundle(
  dir: string,
  watText: string,
  manifest: Record<string, unknown> = {},
): Promise<string> {
  await writeProject(dir, sourceManifest({ supported_scopes: undefined, ...manifest }), await wat(watText));
  const { bundle } = await buildBundle({ dir });
  const key = loadPrivateKey(await readFile(KEY), undefined, KEY);
  await signBundle(bundle, { key });
  return bundle;
}
