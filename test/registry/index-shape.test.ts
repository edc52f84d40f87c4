/**
 * The fast acceptance of a registry index (src/registry/index-shape.ts) against the schema validator it spares:
 * the same answer on valid indexes and on thousands of mutated ones, and the same patterns and lists as the
 * schema, so that a change of the schema that this check does not follow fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PLUGIN_NAME, SEMVER } from '../../src/core/versions.js';
import { registryIndex } from '../../src/generated/validators.js';
import { parseRegistryIndex } from '../../src/registry/directory.js';
import { INDEX_PATTERNS, isValidIndexFast } from '../../src/registry/index-shape.js';
import { expectAurionError, ROOT } from '../helpers.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const schema = (name: string) => JSON.parse(readFileSync(join(ROOT, 'schemas', name), 'utf8'));

/** A small seeded generator, so that a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function validIndex(): { [key: string]: Json } {
  const entry = (i: number, extra: { [key: string]: Json }) => ({
    sha256: i.toString(16).padStart(64, 'a'),
    size: 1000 + i,
    risk_class: ['Low', 'Medium', 'High'][i % 3]!,
    capabilities: [
      ['PassiveEnum'],
      ['PortScan', 'Fuzz'],
      ['VulnerabilityScan', 'PassiveEnum', 'PortScan', 'Fuzz'],
    ][i % 3]!,
    runtime: i % 2 === 0 ? 'wasm' : 'container',
    published_at: ['2026-11-27T10:00:00Z', '2026-11-27t10:00:00.5z', '2026-11-27T12:00:00+02:00'][i % 3]!,
    ...extra,
  });
  return {
    schema_version: 1,
    plugins: {
      'dns-enum': {
        '1.0.0': entry(1, { key_id: '0123456789abcdef' }),
        '1.1.0-rc.1': entry(2, { key_id: 'fedcba9876543210', yanked: true }),
        '2.0.0+build.7': entry(3, { fingerprint: 'ab'.repeat(20) }),
      },
      'port-scan': { '0.1.0': entry(4, { fingerprint: 'cd'.repeat(32) }) },
      empty: {},
    },
  };
}

const REPLACEMENTS: Json[] = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  1.5,
  1e300,
  2,
  '',
  'x',
  'Low',
  'wasm',
  'PassiveEnum',
  'A'.repeat(64),
  'a'.repeat(64),
  'a'.repeat(16),
  'ab'.repeat(20),
  '2026-11-27T10:00:00',
  '2026-11-27T10:00:00Z',
  [],
  ['PassiveEnum'],
  ['PassiveEnum', 'PassiveEnum'],
  ['PassiveEnum', 'PortScan', 'VulnerabilityScan', 'Fuzz', 'PassiveEnum'],
  ['Nope'],
  [1],
  {},
  { a: 1 },
];
const KEYS = [
  'sha256',
  'size',
  'risk_class',
  'capabilities',
  'runtime',
  'key_id',
  'fingerprint',
  'yanked',
  'published_at',
  'schema_version',
  'plugins',
  'x-extra',
  '__proto__',
  'constructor',
  'toString',
  'a',
  'ab',
  'a-',
  'A-b',
  'é-plugin',
  'x'.repeat(65),
  'x'.repeat(64),
  '1.0.0',
  '01.0.0',
  '1.0',
  '1.0.0-',
  '1.0.0-RC1',
  `1.0.0-${'a'.repeat(123)}`,
  `1.0.0-${'a'.repeat(122)}`,
];

/** Every object or array in the document with the path to it. */
function containers(value: Json): Array<Json[] | { [key: string]: Json }> {
  if (typeof value !== 'object' || value === null) return [];
  const inner = (Array.isArray(value) ? value : Object.values(value)).flatMap(containers);
  return [value, ...inner];
}

function setKey(object: { [key: string]: Json }, key: string, value: Json): void {
  // defineProperty, as JSON.parse does: a "__proto__" key is data.
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

function mutate(doc: Json, random: () => number): void {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const replacement = () => structuredClone(pick(REPLACEMENTS));
  const target = pick(containers(doc));
  if (Array.isArray(target)) {
    const op = random();
    if (op < 0.4 && target.length > 0) target[Math.floor(random() * target.length)] = replacement();
    else if (op < 0.7) target.push(replacement());
    else target.splice(0, 1);
    return;
  }
  const keys = Object.keys(target);
  const op = random();
  if (op < 0.35 && keys.length > 0) target[pick(keys)] = replacement();
  else if (op < 0.55 && keys.length > 0) delete target[pick(keys)];
  else if (op < 0.8) setKey(target, pick(KEYS), replacement());
  else if (keys.length > 0) {
    // Rename a key, keeping its value (names and versions of the index are keys).
    const from = pick(keys);
    const value = target[from]!;
    delete target[from];
    setKey(target, pick(KEYS), value);
  }
}

describe('registry index: fast acceptance', () => {
  it('answers as the schema validator on valid and on mutated indexes', () => {
    const random = prng(17);
    let accepted = 0;
    let refused = 0;
    assert.equal(isValidIndexFast(validIndex()), true);
    for (let i = 0; i < 4000; i++) {
      const doc = validIndex();
      const mutations = 1 + Math.floor(random() * 3);
      for (let m = 0; m < mutations; m++) mutate(doc, random);
      const fast = isValidIndexFast(doc);
      const judge = registryIndex.quick(doc);
      if (fast !== judge) assert.fail(`case ${i}: fast ${fast}, schema ${judge}: ${JSON.stringify(doc)}`);
      if (judge) accepted++;
      else refused++;
    }
    // Both answers occur often enough for the comparison to mean something.
    assert.ok(accepted > 200 && refused > 2000, `accepted ${accepted}, refused ${refused}`);
  });

  it('answers as the schema validator on hand-picked edge cases', () => {
    type Doc = { [key: string]: Json };
    const withEntry = (change: (entry: Doc) => void) => {
      const doc = validIndex();
      change(((doc['plugins'] as Doc)['dns-enum'] as Doc)['1.0.0'] as Doc);
      return doc;
    };
    const withPlugins = (change: (plugins: Doc) => void) => {
      const doc = validIndex();
      change(doc['plugins'] as Doc);
      return doc;
    };
    const entry = ((validIndex()['plugins'] as Doc)['dns-enum'] as Doc)['1.0.0']!;
    const cases: Array<[string, Json, boolean]> = [
      ['valid', validIndex(), true],
      ['both signers', withEntry((e) => setKey(e, 'fingerprint', 'ab'.repeat(20))), false],
      ['no signer', withEntry((e) => delete e['key_id']), false],
      ['yanked false', withEntry((e) => setKey(e, 'yanked', false)), false],
      ['size -0', withEntry((e) => setKey(e, 'size', -0)), true],
      ['size 1.5', withEntry((e) => setKey(e, 'size', 1.5)), false],
      ['size -1', withEntry((e) => setKey(e, 'size', -1)), false],
      ['size 2^53', withEntry((e) => setKey(e, 'size', 2 ** 53)), true],
      ['size "1"', withEntry((e) => setKey(e, 'size', '1')), false],
      ['repeated capability', withEntry((e) => setKey(e, 'capabilities', ['Fuzz', 'Fuzz'])), false],
      ['no capability', withEntry((e) => setKey(e, 'capabilities', [])), false],
      ['uppercase digest', withEntry((e) => setKey(e, 'sha256', 'A'.repeat(64))), false],
      ['time without zone', withEntry((e) => setKey(e, 'published_at', '2026-11-27T10:00:00')), false],
      ['extension key', withEntry((e) => setKey(e, 'x-note', 'n')), false],
      ['"__proto__" key', withEntry((e) => setKey(e, '__proto__', {})), false],
      ['name of 64', withPlugins((p) => setKey(p, `a${'b'.repeat(63)}`, {})), true],
      ['name of 65', withPlugins((p) => setKey(p, `a${'b'.repeat(64)}`, {})), false],
      ['"__proto__" plugin', withPlugins((p) => setKey(p, '__proto__', {})), false],
      ['version of 128', withPlugins((p) => setKey(p, 'vv', { [`1.0.0-${'a'.repeat(122)}`]: entry })), true],
      ['version of 129', withPlugins((p) => setKey(p, 'vv', { [`1.0.0-${'a'.repeat(123)}`]: entry })), false],
      ['versions an array', withPlugins((p) => setKey(p, 'vv', [])), false],
      ['plugins an array', { schema_version: 1, plugins: [] }, false],
      ['schema_version 2', { schema_version: 2, plugins: {} }, false],
      ['schema_version "1"', { schema_version: '1', plugins: {} }, false],
      ['extra root key', { schema_version: 1, plugins: {}, x: 1 }, false],
      ['no plugins', { schema_version: 1 }, false],
      ['empty', { schema_version: 1, plugins: {} }, true],
      ['an array', [], false],
      ['null', null, false],
    ];
    for (const [what, doc, valid] of cases) {
      assert.equal(registryIndex.quick(doc), valid, `the schema on ${what}`);
      assert.equal(isValidIndexFast(doc), valid, what);
    }
  });

  it('the whole document is refused as before when the fast check does not accept it', async () => {
    const doc = validIndex();
    ((doc['plugins'] as { [key: string]: Json })['dns-enum'] as { [key: string]: Json })['1.0.0'] = {
      sha256: 'xyz',
    };
    const bytes = Buffer.from(JSON.stringify(doc));
    assert.equal(isValidIndexFast(JSON.parse(bytes.toString())), false);
    const err = await expectAurionError(() => parseRegistryIndex(bytes, 'r/index.json'), 'REGISTRY_ERROR');
    assert.match(err.message, /registry index r\/index\.json is invalid/);
    assert.ok(err.issues.some((i) => i.at === '/plugins/dns-enum/1.0.0/sha256'));
    assert.deepEqual(
      parseRegistryIndex(Buffer.from(JSON.stringify(validIndex())), 'r/index.json'),
      validIndex(),
    );
  });

  it('uses the patterns, lengths and lists of the schema', () => {
    const index = schema('registry-index.schema.json');
    const manifest = schema('manifest.schema.json');
    const entry = index.$defs.entry;
    for (const key of ['sha256', 'key_id', 'fingerprint', 'published_at'] as const) {
      assert.equal(INDEX_PATTERNS[key].source, entry.properties[key].pattern, key);
    }
    assert.equal(PLUGIN_NAME.source, manifest.properties.name.pattern);
    assert.equal(SEMVER.source, manifest.properties.version.pattern);
    assert.equal(manifest.properties.name.maxLength, 64);
    assert.equal(manifest.properties.version.maxLength, 128);
    assert.deepEqual(index.required, ['schema_version', 'plugins']);
    assert.deepEqual(index.properties.schema_version, { const: 1 });
    assert.deepEqual(Object.keys(entry.properties), [
      'sha256',
      'size',
      'risk_class',
      'capabilities',
      'runtime',
      'key_id',
      'fingerprint',
      'yanked',
      'published_at',
    ]);
    assert.deepEqual(entry.required, [
      'sha256',
      'size',
      'risk_class',
      'capabilities',
      'runtime',
      'published_at',
    ]);
    assert.deepEqual(entry.oneOf, [{ required: ['key_id'] }, { required: ['fingerprint'] }]);
    assert.deepEqual(entry.properties.size, {
      type: 'integer',
      minimum: 0,
      description: entry.properties.size.description,
    });
    assert.deepEqual(entry.properties.risk_class.enum, ['Low', 'Medium', 'High']);
    assert.deepEqual(entry.properties.runtime.enum, ['wasm', 'container']);
    assert.deepEqual(entry.properties.yanked.const, true);
    const capabilities = manifest.properties.capabilities;
    assert.deepEqual(
      { ...capabilities, description: undefined },
      {
        type: 'array',
        minItems: 1,
        maxItems: 4,
        uniqueItems: true,
        items: { enum: ['PassiveEnum', 'PortScan', 'VulnerabilityScan', 'Fuzz'] },
        description: undefined,
      },
    );
  });
});
