/**
 * Aurion's rules for a plugin's WebAssembly module, checked by `build` (SPEC §7) on what the scanner
 * (scanner.ts) found: the exported `run`, the allowed import modules and the initial memory.
 */
import { AurionError, type Issue } from '../../errors.js';
import type { Manifest } from '../types.js';
import type { WasmInfo } from './scanner.js';

/** Bytes in a WebAssembly page. */
export const WASM_PAGE_SIZE = 64 * 1024;
/** The import module every WASI preview 1 module uses; always allowed. */
export const WASI_MODULE = 'wasi_snapshot_preview1';
/**
 * WASI preview 1 functions whose results differ from run to run: clocks, timers and randomness. The seed asks
 * plugins to avoid them (a job's result should depend on its request only), so inspect lists them and build
 * warns about them.
 */
export const NONDETERMINISTIC_WASI_IMPORTS: readonly string[] = [
  'clock_res_get',
  'clock_time_get',
  'poll_oneoff',
  'random_get',
];

/** The non-deterministic WASI functions a module imports, in import order. */
export function nondeterministicImports(info: Pick<WasmInfo, 'imports'>): string[] {
  return info.imports
    .filter((i) => i.module === WASI_MODULE && NONDETERMINISTIC_WASI_IMPORTS.includes(i.name))
    .map((i) => i.name);
}

/** Default of `limits.memory_mib` (the runtime's default and maximum, SPEC §3). */
export const DEFAULT_MEMORY_MIB = 64;

/**
 * The build-time module checks (SPEC §7 `build`): an exported function `run`; imports only from
 * wasi_snapshot_preview1 and the manifest's host_imports; initial memory within limits.memory_mib.
 * Every failing rule is reported at once (WASM_INVALID).
 */
export function checkWasm(info: WasmInfo, manifest: Manifest, source: string): void {
  const issues: Issue[] = [];

  const run = info.exports.find((e) => e.name === 'run');
  if (run === undefined) {
    issues.push({
      at: 'exports',
      message:
        'no function is exported as "run"; the orchestrator calls run() (export it, e.g. #[no_mangle] pub extern "C" fn run())',
    });
  } else if (run.kind !== 'func') {
    issues.push({ at: 'export "run"', message: `is a ${run.kind}, not a function` });
  }

  const allowed = new Set<string>([WASI_MODULE, ...(manifest.host_imports ?? [])]);
  const undeclared = new Map<string, string[]>();
  for (const imp of info.imports) {
    if (allowed.has(imp.module)) continue;
    const names = undeclared.get(imp.module) ?? [];
    names.push(imp.name);
    undeclared.set(imp.module, names);
  }
  for (const [module, names] of undeclared) {
    const shown = names
      .slice(0, 3)
      .map((n) => `"${module}"."${n}"`)
      .join(', ');
    const more = names.length > 3 ? ` and ${names.length - 3} more` : '';
    issues.push({
      at: `import module "${module}"`,
      message:
        `the module imports ${shown}${more} from "${module}", which is neither ${WASI_MODULE} nor declared; ` +
        `declare it in host_imports in manifest.json if the orchestrator provides it`,
    });
  }

  const memoryMib = manifest.limits?.memory_mib ?? DEFAULT_MEMORY_MIB;
  const pages = info.memories.reduce((sum, m) => sum + m.initialPages, 0);
  const limitPages = (memoryMib * 1024 * 1024) / WASM_PAGE_SIZE;
  if (pages > limitPages) {
    issues.push({
      at: 'memory',
      message:
        `initial memory is ${pages} pages (${formatBytes(pages * WASM_PAGE_SIZE)}), more than ` +
        `limits.memory_mib allows (${memoryMib} MiB = ${limitPages} pages); lower the module's initial memory ` +
        `(e.g. -C link-arg=--initial-memory=BYTES)` +
        (pages <= (DEFAULT_MEMORY_MIB * 1024 * 1024) / WASM_PAGE_SIZE
          ? ` or raise limits.memory_mib (at most ${DEFAULT_MEMORY_MIB})`
          : ''),
    });
  }

  if (issues.length === 0) return;
  const first = issues[0]!;
  const headline =
    issues.length === 1
      ? `WebAssembly module ${source} fails the build checks: ${first.at}: ${first.message}`
      : `WebAssembly module ${source} fails ${issues.length} build checks`;
  throw new AurionError('WASM_INVALID', headline, {
    issues: issues.length === 1 ? [] : issues,
    hint: 'fix the module or manifest.json; `aurion-plugin build` checks exports, imports and memory (SPEC §7)',
  });
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024 * 1024) return `${(n / 1024 ** 4).toFixed(1)} TiB`;
  if (n >= 1024 * 1024 * 1024) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 * 1024) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${n / 1024} KiB`;
}
