import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertCliError, runCli, tempDir } from '../helpers.js';

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
