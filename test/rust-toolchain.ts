/**
 * The Rust toolchain the tests build plugins with: one whose standard library has a WASI target and whose
 * linker (rust-lld) is installed. Debian's (/usr/bin, Rust 1.63, `wasm32-wasi`) is preferred: it is what
 * .ci/run installs, it builds offline from Debian's crate packages (/usr/share/cargo/registry), and it is the
 * toolchain the committed example module was built with. A rustup toolchain first on PATH often lacks the wasm
 * target; it is used only when it has one. No such toolchain is a failure (never a skip): CI installs it.
 */

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './helpers.js';

const exec = promisify(execFile);

export const INSTALL_HINT =
  'the Rust tests need a Rust toolchain with a WASI target: apt-get install rustc cargo lld-14 ' +
  'libstd-rust-dev-wasm32 librust-serde-dev librust-serde-derive-dev librust-serde-json-dev librust-blake3-dev ' +
  '(.ci/run installs them)';

export const DEBIAN_REGISTRY = '/usr/share/cargo/registry';

export interface WasmToolchain {
  readonly cargo: string;
  readonly rustc: string;
  readonly rustdoc: string;
  /** `wasm32-wasip1`, or `wasm32-wasi` before Rust 1.78. */
  readonly target: 'wasm32-wasip1' | 'wasm32-wasi';
  /** `rustc -vV`, which decides the module's bytes. */
  readonly version: string;
}

/** Candidates in order of preference: Debian's, then whatever is first on PATH. */
const CANDIDATES = [
  { cargo: '/usr/bin/cargo', rustc: '/usr/bin/rustc', rustdoc: '/usr/bin/rustdoc' },
  { cargo: 'cargo', rustc: 'rustc', rustdoc: 'rustdoc' },
];

let found: Promise<WasmToolchain> | undefined;

/** The toolchain to build plugins with; throws with INSTALL_HINT when there is none. */
export function wasmToolchain(): Promise<WasmToolchain> {
  found ??= probe();
  return found;
}

async function probe(): Promise<WasmToolchain> {
  const tried: string[] = [];
  for (const c of CANDIDATES) {
    let sysroot: string;
    let version: string;
    let host: string;
    try {
      sysroot = (await exec(c.rustc, ['--print', 'sysroot'])).stdout.trim();
      version = (await exec(c.rustc, ['-vV'])).stdout;
      host = /^host: (\S+)$/m.exec(version)?.[1] ?? '';
      await exec(c.cargo, ['--version']);
    } catch (e) {
      tried.push(`${c.rustc}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    const target = (['wasm32-wasip1', 'wasm32-wasi'] as const).find((t) =>
      existsSync(join(sysroot, 'lib', 'rustlib', t)),
    );
    if (target === undefined) {
      tried.push(`${c.rustc} (${sysroot}): no wasm32-wasip1 or wasm32-wasi standard library`);
      continue;
    }
    // rustup ships rust-lld in the sysroot; Debian's /usr/bin/rust-lld is a link to lld-14, installed
    // separately (existsSync follows the link, so a dangling one counts as missing).
    const lld = [join(sysroot, 'lib', 'rustlib', host, 'bin', 'rust-lld'), join(sysroot, 'bin', 'rust-lld')];
    if (!lld.some((path) => existsSync(path))) {
      tried.push(`${c.rustc} (${sysroot}): rust-lld is missing (Debian: apt-get install lld-14)`);
      continue;
    }
    return { ...c, target, version };
  }
  throw new Error(`no Rust toolchain with a WASI target: ${tried.join('; ')}; ${INSTALL_HINT}`);
}

/** The environment for cargo: this toolchain's rustc and rustdoc, whatever is first on PATH. */
export function cargoEnv(toolchain: WasmToolchain, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RUSTC: toolchain.rustc,
    RUSTDOC: toolchain.rustdoc,
    CARGO_TERM_COLOR: 'never',
    ...extra,
  };
  delete env['RUSTFLAGS']; // it would replace the project's own rustflags (the memory cap)
  delete env['CARGO_BUILD_TARGET'];
  return env;
}

/**
 * A cargo config in `dir` that builds everything below it offline from Debian's crate packages (cargo reads
 * .cargo/config.toml in every parent folder of the project): a generated project stays as init wrote it.
 */
export async function offlineCargoConfig(dir: string): Promise<void> {
  if (!existsSync(DEBIAN_REGISTRY)) throw new Error(`${DEBIAN_REGISTRY} is missing; ${INSTALL_HINT}`);
  await mkdir(join(dir, '.cargo'), { recursive: true });
  await writeFile(
    join(dir, '.cargo', 'config.toml'),
    `[source.crates-io]\nreplace-with = "debian"\n\n[source.debian]\ndirectory = "${DEBIAN_REGISTRY}"\n\n[net]\noffline = true\n`,
  );
}

/**
 * The cargo target folder of test/e2e/rust.test.ts, kept between runs in the OS temp dir (dependencies are
 * compiled once; cargo's fingerprints decide what is rebuilt). Tests that run concurrently with it use their
 * own folder (a suffix), so that no test copies a module another build is linking.
 */
export const SHARED_TARGET_DIR = join(
  tmpdir(),
  // One per checkout too: cargo takes a test binary built from another checkout of the same crate for fresh,
  // and that binary reads its vectors from the other checkout's path (CARGO_MANIFEST_DIR is compiled in).
  `aurion-rust-target-${process.getuid?.() ?? 0}-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`,
);

/** Runs cargo with the toolchain in `cwd`; throws with cargo's stderr when it fails. */
export async function cargo(
  toolchain: WasmToolchain,
  args: readonly string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(toolchain.cargo, [...args], {
      cwd,
      env: cargoEnv(toolchain, extraEnv),
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(
      `${toolchain.cargo} ${args.join(' ')} in ${cwd} failed: ${err.message}\n${err.stderr ?? ''}`,
    );
  }
}
