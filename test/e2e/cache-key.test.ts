import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertCliError, ROOT, runCli, tempDir } from '../helpers.js';

// Copies, byte for byte, of shared/vectors/cache-key.json (outputs of the Rust reference compute_cache_key)
// and shared/vectors/blake3.json (BLAKE3-team/BLAKE3 test_vectors/test_vectors.json), kept in the repository
// so that the tests run on a fresh checkout.
const VECTOR_DIR = join(ROOT, 'test', 'vectors');

interface CacheKeyVector {
  name: string;
  version: string;
  config: string;
  scope: string;
  canonical_config: string;
  cache_key: string;
}
const VECTORS = JSON.parse(readFileSync(join(VECTOR_DIR, 'cache-key.json'), 'utf8')) as CacheKeyVector[];

const base = (v: CacheKeyVector) => [
  'cache-key',
  '--name',
  v.name,
  '--version',
  v.version,
  '--scope',
  v.scope,
];

describe('cache-key: the Rust reference vectors through the CLI', () => {
  for (const v of VECTORS) {
    it(`${v.name} ${v.version}: --config prints the key alone on stdout`, async () => {
      const r = await runCli([...base(v), '--config', v.config]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${v.cache_key}\n`);
      assert.equal(r.stderr, '');
    });
    it(`${v.name} ${v.version}: --config-file with --json`, async (t) => {
      const file = join(await tempDir(t), 'config.json');
      await writeFile(file, `${v.config}\n`);
      const r = await runCli([...base(v), '--config-file', file, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.json, { ok: true, cache_key: v.cache_key, canonical_config: v.canonical_config });
    });
  }
});

describe('cache-key flags', () => {
  const v = VECTORS[0]!;

  it('--version is the plugin version, not the tool version; -V still prints the tool version', async () => {
    const r = await runCli([
      'cache-key',
      '--version',
      v.version,
      '--name',
      v.name,
      '--scope',
      v.scope,
      '--config',
      v.config,
    ]);
    assert.equal(r.stdout, `${v.cache_key}\n`);
    const tool = await runCli(['-V']);
    assert.equal(tool.code, 0);
    assert.match(tool.stdout, /^\d+\.\d+\.\d+/);
  });

  it('accepts --json before the command name and --flag=value forms', async () => {
    const r = await runCli([
      '--json',
      'cache-key',
      `--name=${v.name}`,
      `--version=${v.version}`,
      `--scope=${v.scope}`,
      `--config=${v.config}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.cache_key, v.cache_key);
  });

  it('takes any JSON value, including one that starts with a dash', async () => {
    const r = await runCli([...base(VECTORS[0]!), '--config', '-1e2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.canonical_config, '-100.0');
  });

  it('mirrors serde_json for duplicate keys (the last wins) and big integers', async () => {
    const r = await runCli([
      ...base(VECTORS[0]!),
      '--config',
      '{"a":1,"b":9007199254740993,"a":2.50}',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.canonical_config, '{"a":2.5,"b":9007199254740993}');
  });
});

describe('cache-key errors', () => {
  const v = VECTORS[0]!;

  it('both --config and --config-file is a usage error (exit 2)', async (t) => {
    const file = join(await tempDir(t), 'c.json');
    await writeFile(file, '{}');
    const r = await runCli([...base(v), '--config', '{}', '--config-file', file, '--json']);
    assertCliError(r, 2, 'USAGE');
    assert.match(r.json.error.message, /either --config or --config-file/);
  });

  it('neither --config nor --config-file is a usage error (exit 2)', async () => {
    const r = await runCli([...base(v), '--json']);
    assertCliError(r, 2, 'USAGE');
    assert.match(r.json.error.message, /config is missing/);
  });

  for (const flag of ['--name', '--version', '--scope']) {
    it(`a missing ${flag} is a usage error (exit 2)`, async () => {
      const args = base(v);
      const at = args.indexOf(flag);
      args.splice(at, 2);
      const r = await runCli([...args, '--config', '{}', '--json']);
      assertCliError(r, 2, 'USAGE');
      assert.match(r.json.error.message, new RegExp(`${flag}`));
    });
  }

  it('a flag without its value is a usage error (exit 2)', async () => {
    const r = await runCli([...base(v), '--json', '--config']);
    assertCliError(r, 2, 'USAGE');
  });

  const invalid: Array<[string, string, RegExp]> = [
    ['a syntax error', '{"a":', /invalid JSON in --config at \/a: unexpected end of input/],
    ['a number out of f64 range', '{"a":[1e400]}', /\/a\/0.*number out of range/],
    ['a lone surrogate escape', '"\\udc00"', /surrogate/],
    ['trailing content', '{} {}', /after the JSON value/],
  ];
  for (const [what, config, message] of invalid) {
    it(`${what} is CONFIG_INVALID (exit 3)`, async () => {
      const r = await runCli([...base(v), '--config', config, '--json']);
      assertCliError(r, 3, 'CONFIG_INVALID');
      assert.match(r.json.error.message, message);
      assert.match(r.stderr, /error: invalid JSON/);
    });
  }

  it('a config file with a BOM or invalid UTF-8 is CONFIG_INVALID (exit 3), naming the file', async (t) => {
    const dir = await tempDir(t);
    const bom = join(dir, 'bom.json');
    await writeFile(bom, Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]));
    const r1 = await runCli([...base(v), '--config-file', bom, '--json']);
    assertCliError(r1, 3, 'CONFIG_INVALID');
    assert.match(r1.json.error.message, /bom\.json.*byte order mark/);
    const latin1 = join(dir, 'latin1.json');
    await writeFile(latin1, Buffer.from([0x22, 0xe9, 0x22]));
    const r2 = await runCli([...base(v), '--config-file', latin1, '--json']);
    assertCliError(r2, 3, 'CONFIG_INVALID');
    assert.match(r2.json.error.message, /latin1\.json.*not valid UTF-8/);
  });

  it('a missing config file is IO_ERROR (exit 4)', async (t) => {
    const missing = join(await tempDir(t), 'nope.json');
    const r = await runCli([...base(v), '--config-file', missing, '--json']);
    assertCliError(r, 4, 'IO_ERROR');
    assert.match(r.json.error.message, /nope\.json: no such file or directory/);
  });

  it('a directory as config file is IO_ERROR (exit 4)', async (t) => {
    const dir = join(await tempDir(t), 'cfg');
    await mkdir(dir);
    const r = await runCli([...base(v), '--config-file', dir, '--json']);
    assertCliError(r, 4, 'IO_ERROR');
  });
});
