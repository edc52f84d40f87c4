import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertCliError, BIN, ROOT, runCli, tempDir } from '../helpers.js';

describe('global CLI behaviour', () => {
  it('an unknown command is a usage error (exit 2) with a hint', async () => {
    const r = await runCli(['frobnicate', '--json']);
    assertCliError(r, 2, 'USAGE');
    assert.match(r.stderr, /unknown command 'frobnicate'/);
    assert.match(r.stderr, /hint: run 'aurion-plugin --help'/);
  });

  it('an unknown flag is a usage error (exit 2)', async () => {
    const r = await runCli(['init', '--bogus', '--json']);
    assertCliError(r, 2, 'USAGE');
    assert.match(r.stderr, /unknown option '--bogus'/);
  });

  it('no command at all is a usage error (exit 2)', async () => {
    const r = await runCli([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage: aurion-plugin/);
  });

  it('--help and --version exit 0', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Commands:/);
    const version = await runCli(['--version']);
    assert.equal(version.code, 0);
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'));
    assert.equal(version.stdout.trim(), pkg.version);
  });

  it('a command whose work never settles exits 4 (INTERNAL), never 0', async (t) => {
    // Node exits 0 when the event loop runs dry with a promise pending; the bin refuses that. A preload makes
    // the launcher's promise one that never settles.
    const dir = await tempDir(t);
    const preload = join(dir, 'never.cjs');
    const launcher = join(ROOT, 'dist', 'src', 'cli', 'launch.cjs');
    await writeFile(
      preload,
      `require.cache[${JSON.stringify(launcher)}] = { id: ${JSON.stringify(launcher)}, filename: ${JSON.stringify(launcher)}, loaded: true, exports: { launch: () => new Promise(() => {}) } };\n`,
    );
    const r = spawnSync(process.execPath, ['--require', preload, BIN, '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 4, r.stderr);
    assert.match(r.stderr, /INTERNAL: the command stopped before it finished/);
    const normal = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    assert.equal(normal.status, 0, normal.stderr);
    assert.equal(normal.stderr, '');
  });

  it('prints no stack trace unless AURION_DEBUG=1', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'manifest.json'), '{}');
    const r = await runCli(['init', dir]);
    assert.equal(r.code, 4);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const debug = await runCli(['init', dir], { env: { AURION_DEBUG: '1' } });
    assert.equal(debug.code, 4);
    assert.match(debug.stderr, /\n\s+at /);
  });
});

describe('init', () => {
  it('writes manifest.json and a .gitignore that keeps keys and dist/ out', async (t) => {
    const dir = join(await tempDir(t), 'dns-enum');
    const r = await runCli(['init', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.ok, true);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.name, 'dns-enum');
    assert.equal(manifest.runtime, 'wasm');
    const gitignore = await readFile(join(dir, '.gitignore'), 'utf8');
    assert.match(gitignore, /^\*\.key$/m);
    assert.match(gitignore, /^dist\/$/m);
    assert.ok((await stat(join(dir, 'manifest.json'))).isFile());
  });

  it('refuses to overwrite without --force (exit 4, ALREADY_EXISTS), and overwrites with it', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'manifest.json'), 'mine');
    const r = await runCli(['init', dir, '--json']);
    assertCliError(r, 4, 'ALREADY_EXISTS');
    assert.equal(await readFile(join(dir, 'manifest.json'), 'utf8'), 'mine');
    const forced = await runCli(['init', dir, '--force', '--name', 'my-tool', '--json']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')).name, 'my-tool');
  });
});

describe('help', () => {
  it('`help <command>` prints that command’s help and exits 0', async () => {
    const r = await runCli(['help', 'init']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: aurion-plugin init/);
  });
});
