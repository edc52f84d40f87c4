import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseManifest } from '../../src/core/manifest.js';
import { initProject } from '../../src/ops/init.js';
import { assertCliError, ROOT, runCli, tempDir } from '../helpers.js';

/** Reads the written manifest.json through the one manifest validator (it must pass). */
async function writtenManifest(dir: string) {
  const path = join(dir, 'manifest.json');
  return parseManifest(await readFile(path), { source: path });
}

/** Lists what is in `dir` (an absent folder lists as nothing). */
async function listing(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

describe('init: flags', () => {
  it('writes a valid wasm starter manifest named after the folder', async (t) => {
    const dir = join(await tempDir(t), 'dns-enum');
    const r = await runCli(['init', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.ok, true);
    assert.deepEqual(r.json.files, [join(dir, 'manifest.json'), join(dir, '.gitignore')]);
    assert.deepEqual(r.json.placeholders, []);
    const manifest = await writtenManifest(dir);
    assert.deepEqual(r.json.manifest, manifest);
    assert.deepEqual(manifest, {
      schema_version: 1,
      name: 'dns-enum',
      version: '0.1.0',
      description: 'The dns-enum Aurion plugin',
      capabilities: ['PassiveEnum'],
      risk_class: 'Low',
      supported_scopes: [],
      runtime: 'wasm',
      module: { path: 'target/wasm32-wasip1/release/dns_enum.wasm' },
      host_imports: [],
      limits: { memory_mib: 64, timeout_seconds: 300 },
    });
    assert.equal(r.stderr, '');
  });

  it('defaults to the current folder', async (t) => {
    const dir = join(await tempDir(t), 'here-plugin');
    await mkdir(dir);
    const r = await runCli(['init', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await writtenManifest(dir)).name, 'here-plugin');
  });

  it('creates missing parent folders', async (t) => {
    const dir = join(await tempDir(t), 'a', 'b', 'deep-tool');
    const r = await runCli(['init', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await writtenManifest(dir)).name, 'deep-tool');
  });

  it('--name and --description set the name and description', async (t) => {
    const dir = join(await tempDir(t), 'Folder Name');
    const r = await runCli(['init', dir, '--name', 'my-tool', '--description', 'Finds things', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const manifest = await writtenManifest(dir);
    assert.equal(manifest.name, 'my-tool');
    assert.equal(manifest.description, 'Finds things');
    assert.equal(manifest.module?.path, 'target/wasm32-wasip1/release/my_tool.wasm');
  });

  const riskCases: Array<[string[], string]> = [
    [['PassiveEnum'], 'Low'],
    [['PortScan'], 'Medium'],
    [['PassiveEnum', 'PortScan'], 'Medium'],
    [['VulnerabilityScan'], 'High'],
    [['PortScan', 'Fuzz'], 'High'],
    [['PassiveEnum', 'PortScan', 'VulnerabilityScan', 'Fuzz'], 'High'],
  ];
  for (const [capabilities, risk] of riskCases) {
    it(`--capability ${capabilities.join(' ')} gives risk_class ${risk}`, async (t) => {
      const dir = join(await tempDir(t), 'scanner');
      const flags = capabilities.flatMap((c) => ['--capability', c]);
      const r = await runCli(['init', dir, ...flags, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const manifest = await writtenManifest(dir);
      assert.deepEqual(manifest.capabilities, capabilities);
      assert.equal(manifest.risk_class, risk);
    });
  }

  it('--runtime wasm is the default, also when given', async (t) => {
    const dir = join(await tempDir(t), 'w-tool');
    const r = await runCli(['init', dir, '--runtime', 'wasm', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await writtenManifest(dir)).runtime, 'wasm');
  });

  it('--runtime container writes a hardened container manifest and flags the placeholder image', async (t) => {
    const dir = join(await tempDir(t), 'port-scan');
    const r = await runCli(['init', dir, '--runtime', 'container', '--capability', 'PortScan', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const manifest = await writtenManifest(dir);
    assert.equal(manifest.runtime, 'container');
    assert.equal(manifest.risk_class, 'Medium');
    assert.equal(manifest.module, undefined);
    assert.equal(manifest.host_imports, undefined);
    assert.deepEqual(manifest.container, {
      image: `registry.example/org/port-scan@sha256:${'0'.repeat(64)}`,
      user: '10001:10001',
      read_only_rootfs: true,
      seccomp_profile: 'runtime/default',
      apparmor_profile: 'runtime/default',
      env: [],
    });
    assert.deepEqual(r.json.placeholders, ['/container/image']);
    assert.match(r.stderr, /warning: container\.image in manifest\.json is a placeholder .*replace it/);
  });

  it('prints what it wrote, the risk class and the next step without --json', async (t) => {
    const dir = join(await tempDir(t), 'fuzzer');
    const r = await runCli(['init', dir, '--capability', 'Fuzz']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^wrote .*manifest\.json$/m);
    assert.match(r.stdout, /^wrote .*\.gitignore$/m);
    assert.match(r.stdout, /risk class: High \(the highest class of Fuzz\)/);
    assert.match(r.stdout, /next: put your module at target\/wasm32-wasip1\/release\/fuzzer\.wasm/);
    const container = await runCli(['init', join(dir, 'c-tool'), '--runtime', 'container']);
    assert.equal(container.code, 0, container.stderr);
    assert.match(container.stdout, /next: set container\.image to your image pinned by digest/);
    assert.match(container.stderr, /placeholder/);
  });
});

describe('init: .gitignore', () => {
  it('keeps private keys and dist/ out of git', async (t) => {
    const dir = join(await tempDir(t), 'g-tool');
    assert.equal((await runCli(['init', dir, '--json'])).code, 0);
    const gitignore = await readFile(join(dir, '.gitignore'), 'utf8');
    for (const line of ['*.key', '*.pgp.key', '*.pgp.rev', '*.pem', 'dist/'])
      assert.ok(gitignore.split('\n').includes(line), line);
  });

  it('makes git ignore the keys keygen writes, but not the public ones', async (t) => {
    const dir = join(await tempDir(t), 'g-tool');
    assert.equal((await runCli(['init', dir])).code, 0);
    await promisify(execFile)('git', ['init', '-q', dir]);
    assert.equal((await runCli(['keygen', '--out', join(dir, 'ed')])).code, 0);
    assert.equal(
      (await runCli(['keygen', '--type', 'pgp', '--user-id', 'T <t@example.org>', '--out', join(dir, 'op')]))
        .code,
      0,
    );
    const { stdout } = await promisify(execFile)('git', [
      '-C',
      dir,
      'status',
      '--porcelain',
      '--untracked-files=all',
    ]);
    const untracked = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3))
      .sort();
    assert.deepEqual(untracked, ['.gitignore', 'ed.pub', 'manifest.json', 'op.pgp.pub']);
  });

  it("adds only missing lines to an existing .gitignore and keeps the author's lines", async (t) => {
    const dir = join(await tempDir(t), 'g-tool');
    await mkdir(dir);
    await writeFile(join(dir, '.gitignore'), 'node_modules/\n*.key');
    const r = await runCli(['init', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.files, [join(dir, 'manifest.json'), join(dir, '.gitignore')]);
    const lines = (await readFile(join(dir, '.gitignore'), 'utf8')).split('\n');
    assert.deepEqual(lines.slice(0, 2), ['node_modules/', '*.key']);
    assert.equal(lines.filter((l) => l === '*.key').length, 1);
    for (const line of ['*.pgp.key', '*.pem', 'dist/']) assert.ok(lines.includes(line), line);
  });

  it('leaves a .gitignore that has every line alone', async (t) => {
    const dir = join(await tempDir(t), 'g-tool');
    await mkdir(dir);
    const mine = 'build/\n*.key\n*.pgp.key\n*.pgp.rev\n*.pem\n!*.pub\ndist/\n';
    await writeFile(join(dir, '.gitignore'), mine);
    const r = await runCli(['init', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.files, [join(dir, 'manifest.json')]);
    assert.equal(await readFile(join(dir, '.gitignore'), 'utf8'), mine);
  });
});

describe('init: failures write nothing', () => {
  const invalid: Array<[string, string[], string, RegExp]> = [
    ['an invalid --name', ['--name', 'My_Tool'], '/name', /--name/],
    ['a one-letter --name', ['--name', 'a'], '/name', /--name/],
    ['a --name ending in -', ['--name', 'tool-'], '/name', /--name/],
    [
      'an unknown --capability',
      ['--capability', 'PassiveEnum', '--capability', 'Exploit'],
      '/capabilities/1',
      /--capability/,
    ],
    [
      'a repeated --capability',
      ['--capability', 'PortScan', '--capability', 'PortScan'],
      '/capabilities',
      /--capability/,
    ],
    ['an unknown --runtime', ['--runtime', 'docker'], '/runtime', /--runtime/],
    [
      'a --description over 1024 characters',
      ['--description', 'x'.repeat(1025)],
      '/description',
      /--description/,
    ],
  ];
  for (const [what, flags, pointer, hint] of invalid) {
    it(`${what} is MANIFEST_INVALID (exit 3) at ${pointer}`, async (t) => {
      const parent = await tempDir(t);
      const dir = join(parent, 'new-tool');
      const r = await runCli(['init', dir, ...flags, '--json']);
      assertCliError(r, 3, 'MANIFEST_INVALID');
      assert.match(r.json.error.message, new RegExp(`^invalid manifest generated by init: ${pointer} `));
      assert.match(r.json.error.hint, hint);
      assert.match(r.json.error.hint, /nothing was written/);
      assert.deepEqual(await listing(parent), []);
    });
  }

  it('an invalid folder name as the default name is MANIFEST_INVALID, hinting at --name', async (t) => {
    const parent = await tempDir(t);
    const dir = join(parent, 'My Plugin');
    await mkdir(dir);
    const r = await runCli(['init', dir, '--json']);
    assertCliError(r, 3, 'MANIFEST_INVALID');
    assert.match(r.json.error.message, /\/name/);
    assert.match(r.json.error.hint, /--name \(default: the folder name\)/);
    assert.deepEqual(await listing(dir), []);
  });

  it('reports every bad flag at once', async (t) => {
    const parent = await tempDir(t);
    const r = await runCli(['init', join(parent, 'x-tool'), '--name', 'X', '--runtime', 'vm', '--json']);
    assertCliError(r, 3, 'MANIFEST_INVALID');
    assert.deepEqual(
      r.json.error.issues.map((i: { at: string }) => i.at),
      ['/name', '/runtime'],
    );
    assert.match(r.json.error.hint, /--name.*--runtime/);
    assert.match(
      r.stderr,
      /error: invalid manifest generated by init: 2 problems\n {2}\/name: .*\n {2}\/runtime: /,
    );
    assert.deepEqual(await listing(parent), []);
  });

  it('refuses to overwrite manifest.json (ALREADY_EXISTS, exit 4) and --force replaces it', async (t) => {
    const dir = join(await tempDir(t), 'x-tool');
    await mkdir(dir);
    await writeFile(join(dir, 'manifest.json'), 'mine');
    const r = await runCli(['init', dir, '--json']);
    assertCliError(r, 4, 'ALREADY_EXISTS');
    assert.match(r.json.error.hint, /--force/);
    assert.equal(await readFile(join(dir, 'manifest.json'), 'utf8'), 'mine');
    assert.deepEqual(await listing(dir), ['manifest.json']);
    const forced = await runCli(['init', dir, '--force', '--json']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal((await writtenManifest(dir)).name, 'x-tool');
  });

  it('--force does not let invalid flags through', async (t) => {
    const dir = join(await tempDir(t), 'x-tool');
    await mkdir(dir);
    await writeFile(join(dir, 'manifest.json'), 'mine');
    const r = await runCli(['init', dir, '--force', '--capability', 'Nope', '--json']);
    assertCliError(r, 3, 'MANIFEST_INVALID');
    assert.equal(await readFile(join(dir, 'manifest.json'), 'utf8'), 'mine');
  });

  it('a folder path through a file is IO_ERROR (exit 4)', async (t) => {
    const parent = await tempDir(t);
    await writeFile(join(parent, 'file'), 'x');
    const r = await runCli(['init', join(parent, 'file', 'x-tool'), '--json']);
    assertCliError(r, 4, 'IO_ERROR');
    assert.match(r.json.error.message, /cannot create folder .*x-tool/);
    assert.deepEqual(await listing(parent), ['file']);
  });

  it('a folder that is a file is IO_ERROR (exit 4)', async (t) => {
    const parent = await tempDir(t);
    await writeFile(join(parent, 'x-tool'), 'x');
    const r = await runCli(['init', join(parent, 'x-tool'), '--json']);
    assertCliError(r, 4, 'IO_ERROR');
    assert.equal(await readFile(join(parent, 'x-tool'), 'utf8'), 'x');
  });

  for (const flag of ['--name', '--capability', '--runtime', '--description']) {
    it(`${flag} without a value is a usage error (exit 2)`, async (t) => {
      const parent = await tempDir(t);
      const r = await runCli(['init', join(parent, 'x-tool'), '--json', flag]);
      assertCliError(r, 2, 'USAGE');
      assert.match(r.stderr, /argument missing/);
      assert.deepEqual(await listing(parent), []);
    });
  }

  it('a second folder argument is a usage error (exit 2)', async (t) => {
    const parent = await tempDir(t);
    const r = await runCli(['init', join(parent, 'a-tool'), join(parent, 'b-tool'), '--json']);
    assertCliError(r, 2, 'USAGE');
    assert.deepEqual(await listing(parent), []);
  });
});

describe('init --template rust', () => {
  const SDK = join(ROOT, 'sdk', 'rust');

  it('writes a Cargo project around the vendored SDK, capped at the manifest memory limit', async (t) => {
    const dir = join(await tempDir(t), 'port-probe');
    const r = await runCli(['init', dir, '--template', 'rust', '--capability', 'PortScan', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.rust_target, 'wasm32-wasip1');
    const rel = r.json.files.map((f: string) => relative(dir, f));
    assert.deepEqual(rel, [
      'manifest.json',
      '.gitignore',
      'Cargo.toml',
      join('.cargo', 'config.toml'),
      join('src', 'lib.rs'),
      'README.md',
      join('aurion-plugin-sdk', 'Cargo.toml'),
      join('aurion-plugin-sdk', 'README.md'),
      join('aurion-plugin-sdk', 'src', 'lib.rs'),
    ]);
    const manifest = await writtenManifest(dir);
    assert.equal(manifest.module?.path, 'target/wasm32-wasip1/release/port_probe.wasm');
    assert.equal(manifest.risk_class, 'Medium');

    const cargoToml = await readFile(join(dir, 'Cargo.toml'), 'utf8');
    assert.match(cargoToml, /^name = "port-probe"$/m);
    assert.match(cargoToml, /^version = "0\.1\.0"$/m);
    assert.match(cargoToml, /^crate-type = \["cdylib"\]$/m);
    assert.match(cargoToml, /^aurion-plugin-sdk = \{ path = "aurion-plugin-sdk" \}$/m);
    assert.match(
      cargoToml,
      /\[profile\.release\]\nopt-level = "z"\nlto = true\ncodegen-units = 1\npanic = "abort"\nstrip = true/,
    );
    assert.match(
      await readFile(join(dir, '.cargo', 'config.toml'), 'utf8'),
      /^\[target\.wasm32-wasip1\]\nrustflags = \["-C", "link-arg=--max-memory=67108864"\]$/m,
    );
    const lib = await readFile(join(dir, 'src', 'lib.rs'), 'utf8');
    assert.match(lib, /pub struct PortProbe;/);
    assert.match(lib, /"port-probe"/);
    assert.match(lib, /vec!\[Capability::PortScan\]/);
    assert.match(lib, /export_plugin!\(PortProbe\);/);
    assert.match(
      await readFile(join(dir, 'README.md'), 'utf8'),
      /cargo build --release --target wasm32-wasip1/,
    );
    assert.ok((await readFile(join(dir, '.gitignore'), 'utf8')).split('\n').includes('target/'));
    // The vendored SDK is this package's sdk/rust, unchanged.
    for (const file of ['Cargo.toml', 'README.md', join('src', 'lib.rs')]) {
      assert.equal(
        await readFile(join(dir, 'aurion-plugin-sdk', file), 'utf8'),
        await readFile(join(SDK, file), 'utf8'),
        file,
      );
    }
    assert.equal(r.stderr, '');
  });

  it('--rust-target wasm32-wasi moves module.path and the memory cap to that target', async (t) => {
    const dir = join(await tempDir(t), 'old-rust');
    const r = await runCli(['init', dir, '--template', 'rust', '--rust-target', 'wasm32-wasi']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /next: \(cd .*old-rust && cargo build --release --target wasm32-wasi\)/);
    assert.equal((await writtenManifest(dir)).module?.path, 'target/wasm32-wasi/release/old_rust.wasm');
    assert.match(await readFile(join(dir, '.cargo', 'config.toml'), 'utf8'), /^\[target\.wasm32-wasi\]$/m);
    assert.match(
      await readFile(join(dir, 'README.md'), 'utf8'),
      /cargo build --release --target wasm32-wasi/,
    );
  });

  it('works through the library from dist/ too (finds the SDK sources of the package)', async (t) => {
    const dir = join(await tempDir(t), 'lib-made');
    const result = await initProject({
      dir,
      capabilities: ['PassiveEnum'],
      runtime: 'wasm',
      force: false,
      template: 'rust',
    });
    assert.equal(result.rustTarget, 'wasm32-wasip1');
    assert.equal(
      await readFile(join(dir, 'aurion-plugin-sdk', 'src', 'lib.rs'), 'utf8'),
      await readFile(join(SDK, 'src', 'lib.rs'), 'utf8'),
    );
  });

  const usage: Array<[string, string[], RegExp]> = [
    [
      '--rust-target without --template',
      ['--rust-target', 'wasm32-wasi'],
      /--rust-target needs --template rust/,
    ],
    ['an unknown --template', ['--template', 'go'], /unknown template "go"/],
    [
      'an unknown --rust-target',
      ['--template', 'rust', '--rust-target', 'wasm32-unknown-unknown'],
      /unknown --rust-target/,
    ],
    [
      '--template rust with --runtime container',
      ['--template', 'rust', '--runtime', 'container'],
      /cannot go with --runtime container/,
    ],
  ];
  for (const [what, flags, message] of usage) {
    it(`${what} is a usage error (exit 2) and writes nothing`, async (t) => {
      const parent = await tempDir(t);
      const r = await runCli(['init', join(parent, 'x-tool'), ...flags, '--json']);
      assertCliError(r, 2, 'USAGE');
      assert.match(r.json.error.message, message);
      assert.deepEqual(await listing(parent), []);
    });
  }

  it('refuses to overwrite any template file (ALREADY_EXISTS, exit 4), writing nothing; --force replaces', async (t) => {
    const dir = join(await tempDir(t), 'x-tool');
    await mkdir(join(dir, 'src'), { recursive: true });
    await writeFile(join(dir, 'src', 'lib.rs'), 'mine');
    const r = await runCli(['init', dir, '--template', 'rust', '--json']);
    assertCliError(r, 4, 'ALREADY_EXISTS');
    assert.match(r.json.error.message, /src\/lib\.rs already exists/);
    assert.deepEqual(await listing(dir), ['src']);
    assert.equal(await readFile(join(dir, 'src', 'lib.rs'), 'utf8'), 'mine');
    const forced = await runCli(['init', dir, '--template', 'rust', '--force', '--json']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(await readFile(join(dir, 'src', 'lib.rs'), 'utf8'), /export_plugin!\(XTool\);/);
  });
});
