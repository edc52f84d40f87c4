/**
 * The layers of docs/architecture.md, checked on the sources: every import points down (or sideways within a
 * layer), commands never import each other, and the core touches no files, network, processes or environment.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './helpers.js';

const SRC = join(ROOT, 'src');

/** Layers from the bottom up; a module may import its own layer and those below it. */
const LAYERS: readonly { readonly name: string; readonly match: (path: string) => boolean }[] = [
  { name: 'errors', match: (p) => p === 'errors.ts' },
  { name: 'core', match: (p) => p.startsWith('core/') || p.startsWith('generated/') },
  { name: 'io', match: (p) => p.startsWith('io/') },
  { name: 'registry', match: (p) => p.startsWith('registry/') },
  { name: 'ops', match: (p) => p.startsWith('ops/') },
  {
    name: 'cli support',
    match: (p) => p.startsWith('cli/') && !['cli/main.ts', 'cli/commands.ts', 'cli/launch.ts'].includes(p),
  },
  { name: 'commands', match: (p) => p.startsWith('commands/') },
  { name: 'cli program', match: (p) => ['cli/main.ts', 'cli/commands.ts', 'cli/launch.ts'].includes(p) },
  { name: 'public API', match: (p) => !p.includes('/') || p.startsWith('api/') },
];

function layerOf(path: string): number {
  const index = LAYERS.findIndex((l) => l.match(path));
  assert.notEqual(index, -1, `src/${path} belongs to no layer of docs/architecture.md`);
  return index;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file names: static imports and re-exports, and dynamic import(). */
export function specifiers(text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:^|[\s;}])(?:import|export)\s[^'";]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)/gm;
  for (const m of text.matchAll(pattern)) found.push((m[1] ?? m[2])!);
  return found;
}

/** The source a relative specifier names, relative to src/ (`.js` in specifiers is the compiled `.ts`). */
function target(from: string, specifier: string): string {
  const path = relative(SRC, resolve(dirname(join(SRC, from)), specifier));
  return path.replace(/\.js$/, '.ts').replace(/\.d\.ts$/, '.ts');
}

const FILES = sources(SRC)
  .map((path) => relative(SRC, path))
  .filter((path) => !path.endsWith('.d.ts'));
const IMPORTS = FILES.map((file) => ({
  file,
  specifiers: specifiers(readFileSync(join(SRC, file), 'utf8')),
}));

/** Node built-ins that reach outside the process's memory: files, network, processes, threads, the host. */
const EFFECTFUL =
  /^node:(fs|fs\/promises|net|http|https|http2|tls|dgram|dns|child_process|worker_threads|os)$/;

describe('architecture: the import graph', () => {
  it('finds the imports it checks (a check that reads nothing proves nothing)', () => {
    assert.deepEqual(
      specifiers("import { a } from './a.js';\nexport { b } from '../b.js';\nawait import('./c.js');"),
      ['./a.js', '../b.js', './c.js'],
    );
    assert.ok(IMPORTS.some((i) => i.file === 'cli/main.ts' && i.specifiers.length > 0));
    assert.ok(FILES.length > 40);
  });

  it('points only down: no module imports a layer above its own', () => {
    const upward: string[] = [];
    for (const { file, specifiers: specs } of IMPORTS) {
      for (const spec of specs.filter((s) => s.startsWith('.'))) {
        const to = target(file, spec);
        if (layerOf(to) > layerOf(file)) {
          upward.push(
            `src/${file} (${LAYERS[layerOf(file)]!.name}) imports src/${to} (${LAYERS[layerOf(to)]!.name})`,
          );
        }
      }
    }
    assert.deepEqual(upward, []);
  });

  it('keeps commands apart: no command imports another', () => {
    const crossing = IMPORTS.filter((i) => i.file.startsWith('commands/')).flatMap(
      ({ file, specifiers: specs }) =>
        specs
          .filter((s) => s.startsWith('.') && target(file, s).startsWith('commands/'))
          .map((s) => `src/${file} imports ${s}`),
    );
    assert.deepEqual(crossing, []);
  });

  it('keeps the core pure: no files, network, processes, threads or environment', () => {
    const effects: string[] = [];
    for (const { file, specifiers: specs } of IMPORTS) {
      if (layerOf(file) > 1) continue;
      for (const spec of specs) if (EFFECTFUL.test(spec)) effects.push(`src/${file} imports ${spec}`);
      const text = readFileSync(join(SRC, file), 'utf8');
      if (/\bprocess\.(env|exit|argv|stdout|stderr|stdin|cwd|kill|on)\b/.test(text)) {
        effects.push(`src/${file} uses process`);
      }
    }
    assert.deepEqual(effects, []);
  });
});
