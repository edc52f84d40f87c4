/** Plugin project folders for build tests: a manifest.json and a module compiled from WAT with wabt. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

type Wabt = Awaited<ReturnType<typeof import('wabt')>>;
let wabt: Wabt | undefined;

/** Compiles WAT text to a wasm binary (wabt, validated). */
export async function wat(text: string): Promise<Buffer> {
  wabt ??= await (await import('wabt')).default();
  const module = wabt.parseWat('fixture.wat', text);
  try {
    module.validate();
    return Buffer.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** Compiles WAT text to a wasm binary without validating it: well-formed modules that are not valid. */
export async function watUnchecked(text: string): Promise<Buffer> {
  wabt ??= await (await import('wabt')).default();
  const module = wabt.parseWat('fixture.wat', text);
  try {
    return Buffer.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/**
 * Well-formed plugin modules (exports, imports and memory pass the build rules) that WebAssembly.validate
 * refuses: an invalid opcode and a type error in a function body, a data segment offset of the wrong type.
 */
export async function invalidModules(): Promise<Record<string, Buffer>> {
  // The body of run is the module's last bytes: 0x00 (no locals), 0x01 (nop), 0x0b (end). 0xff is no opcode.
  const invalidOpcode = await wat('(module (memory 1) (func (export "run") nop))');
  if (invalidOpcode.at(-2) !== 0x01) throw new Error('fixture: nop is not where expected');
  invalidOpcode[invalidOpcode.length - 2] = 0xff;
  return {
    'an invalid opcode in a function body': invalidOpcode,
    'i32.add on an empty stack': await watUnchecked('(module (memory 1) (func (export "run") i32.add drop))'),
    'an i64 data segment offset for a 32-bit memory': await watUnchecked(
      '(module (memory 1) (func (export "run")) (data (i64.const 0) "x"))',
    ),
  };
}

/** A valid plugin module: one WASI import, 1 page of memory, exports `run`. */
export const VALID_WAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) (i32.const 0)))`;

export const MODULE_PATH = 'target/wasm32-wasip1/release/dns_enum.wasm';

/** A source manifest (the project form: module.path points at the compiled file). */
export function sourceManifest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema_version: 1,
    name: 'dns-enum',
    version: '1.2.0',
    description: 'Passive DNS enumeration',
    capabilities: ['PassiveEnum'],
    risk_class: 'Low',
    supported_scopes: ['*.example.com'],
    runtime: 'wasm',
    module: { path: MODULE_PATH },
    host_imports: [],
    limits: { memory_mib: 64, timeout_seconds: 300 },
    'x-team': 'recon',
    ...extra,
  };
}

export function containerSourceManifest(): Record<string, unknown> {
  return {
    schema_version: 1,
    name: 'port-scan',
    version: '2.0.0',
    capabilities: ['PortScan'],
    risk_class: 'Medium',
    runtime: 'container',
    container: {
      image: `registry.example/org/port-scan@sha256:${'ab'.repeat(32)}`,
      user: '10001:10001',
      read_only_rootfs: true,
      seccomp_profile: 'runtime/default',
      apparmor_profile: 'runtime/default',
      env: ['API_TOKEN'],
    },
  };
}

/**
 * Writes a project into `dir`: manifest.json (an object, or raw text) and, unless `module` is null, the module
 * at MODULE_PATH (default: VALID_WAT compiled). Returns the module bytes.
 */
export async function writeProject(
  dir: string,
  manifest: Record<string, unknown> | string = sourceManifest(),
  module: Buffer | null | undefined = undefined,
): Promise<Buffer | undefined> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'manifest.json'),
    typeof manifest === 'string' ? manifest : `${JSON.stringify(manifest, null, 2)}\n`,
  );
  if (module === null) return undefined;
  const bytes = module ?? (await wat(VALID_WAT));
  await mkdir(dirname(join(dir, MODULE_PATH)), { recursive: true });
  await writeFile(join(dir, MODULE_PATH), bytes);
  return bytes;
}
