import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { blake3Digest, computeCacheKey } from '../../src/core/cachekey.js';
import { canonicalJsonNode } from '../../src/core/canonical-json.js';
import { type JsonNode, parseJsonNode } from '../../src/core/json.js';
import { expectAurionError, ROOT } from '../helpers.js';

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
interface Blake3Vectors {
  cases: Array<{ input_len: number; hash: string }>;
}

const VECTORS = JSON.parse(readFileSync(join(VECTOR_DIR, 'cache-key.json'), 'utf8')) as CacheKeyVector[];
const BLAKE3 = JSON.parse(readFileSync(join(VECTOR_DIR, 'blake3.json'), 'utf8')) as Blake3Vectors;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** The independent oracle: the b3sum tool over exactly the bytes the key is defined on. */
function b3sum(bytes: Uint8Array): string {
  return execFileSync('b3sum', ['--no-names'], { input: bytes }).toString('utf8').trim();
}

describe('computeCacheKey: the Rust reference vectors (shared/vectors/cache-key.json)', () => {
  assert.ok(VECTORS.length >= 5);
  for (const v of VECTORS) {
    it(`${v.name} ${v.version} from JSON text`, () => {
      const key = computeCacheKey({ name: v.name, version: v.version, config: v.config, scope: v.scope });
      assert.equal(key.canonicalConfig, v.canonical_config, `${v.name}: canonical config`);
      assert.equal(key.cacheKey, v.cache_key, `${v.name}: cache key`);
    });
    it(`${v.name} ${v.version} from a parsed tree, and b3sum agrees`, () => {
      const node = parseJsonNode(v.config);
      const key = computeCacheKey({ name: v.name, version: v.version, config: node, scope: v.scope });
      assert.equal(key.cacheKey, v.cache_key);
      const bytes = Buffer.concat([utf8(v.name), utf8(v.version), utf8(v.canonical_config), utf8(v.scope)]);
      assert.equal(b3sum(bytes), v.cache_key);
    });
  }
});

describe('blake3Digest: BLAKE3 official vectors (shared/vectors/blake3.json)', () => {
  const inputOf = (length: number) => Uint8Array.from({ length }, (_, i) => i % 251);
  for (const c of BLAKE3.cases) {
    it(`input_len ${c.input_len}: default digest, extended output, split updates`, () => {
      const input = inputOf(c.input_len);
      assert.equal(hex(blake3Digest([input])), c.hash.slice(0, 64), `input_len ${c.input_len}: 32-byte hash`);
      assert.equal(hex(blake3Digest([input], c.hash.length / 2)), c.hash, `input_len ${c.input_len}: XOF`);
      // Fed in pieces, like the reference's four update() calls: chunk boundaries must not matter.
      const cuts = [0, 1, 63, 64, 1023, 1024, 1025, c.input_len].filter((n) => n <= c.input_len);
      const parts = cuts.slice(1).map((end, i) => input.subarray(cuts[i], end));
      assert.equal(hex(blake3Digest(parts)), c.hash.slice(0, 64), `input_len ${c.input_len}: split`);
    });
  }
});

describe('computeCacheKey', () => {
  it('hashes name ‖ version ‖ config ‖ scope with nothing between them (as the reference does)', () => {
    const a = computeCacheKey({ name: 'ab', version: 'c', config: '{}', scope: 's' });
    const b = computeCacheKey({ name: 'a', version: 'bc', config: '{}', scope: 's' });
    assert.equal(a.cacheKey, b.cacheKey);
    assert.equal(a.cacheKey, b3sum(utf8('abc{}s')));
    const c = computeCacheKey({ name: 'a', version: 'bc', config: '{}', scope: 't' });
    assert.notEqual(a.cacheKey, c.cacheKey);
  });

  it('writes a 64-character lowercase hex key', () => {
    const key = computeCacheKey({ name: 'n', version: '1.0.0', config: '[1.0]', scope: 'é' });
    assert.match(key.cacheKey, /^[0-9a-f]{64}$/);
    assert.equal(key.canonicalConfig, '[1.0]');
    assert.equal(key.cacheKey, b3sum(utf8('n1.0.0[1.0]é')));
  });

  it('refuses invalid config JSON with CONFIG_INVALID, naming the source', async () => {
    const e = await expectAurionError(
      () =>
        computeCacheKey({ name: 'n', version: 'v', config: '{"a":1e999}', scope: 's', source: 'job.json' }),
      'CONFIG_INVALID',
    );
    assert.match(e.message, /invalid JSON in job\.json at \/a: number out of range/);
  });

  it('refuses a name, version or scope that has no UTF-8 form (USAGE)', async () => {
    for (const field of ['name', 'version', 'scope'] as const) {
      const input = { name: 'n', version: 'v', config: '{}', scope: 's', [field]: 'x\ud800' };
      const e = await expectAurionError(() => computeCacheKey(input), 'USAGE');
      assert.match(e.message, new RegExp(field));
    }
    const notString = { name: 1, version: 'v', config: '{}', scope: 's' } as unknown as Parameters<
      typeof computeCacheKey
    >[0];
    await expectAurionError(() => computeCacheKey(notString), 'USAGE');
  });
});

// ---- Property: neither key order nor whitespace nor escaping changes the key ----

/** A small deterministic PRNG (mulberry32), so each fast-check case renders reproducibly from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Renders a tree as JSON text with shuffled members, random whitespace and randomly escaped characters. */
function renderVariant(node: JsonNode, random: () => number): string {
  const ws = () =>
    [' ', '\n', '\t', '\r', '', ''][Math.floor(random() * 6)]!.repeat(1 + Math.floor(random() * 2));
  const str = (s: string) => {
    let out = '"';
    for (const ch of s) {
      const r = random();
      if (r < 0.25) {
        // \uXXXX for every UTF-16 unit (a surrogate pair becomes two escapes), hex case at random.
        for (let i = 0; i < ch.length; i++) {
          const h = ch.charCodeAt(i).toString(16).padStart(4, '0');
          out += `\\u${r < 0.125 ? h : h.toUpperCase()}`;
        }
      } else if (ch === '/' && r < 0.5) {
        out += '\\/';
      } else {
        out += JSON.stringify(ch).slice(1, -1);
      }
    }
    return `${out}"`;
  };
  const go = (n: JsonNode): string => {
    switch (n.kind) {
      case 'null':
        return 'null';
      case 'boolean':
        return String(n.value);
      case 'number':
        return n.lexeme;
      case 'string':
        return str(n.value);
      case 'array':
        return `[${ws()}${n.items.map((i) => `${go(i)}${ws()}`).join(`,${ws()}`)}]`;
      case 'object': {
        const entries = [...n.entries];
        for (let i = entries.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [entries[i], entries[j]] = [entries[j]!, entries[i]!];
        }
        return `{${ws()}${entries.map(([k, v]) => `${str(k)}${ws()}:${ws()}${go(v)}${ws()}`).join(`,${ws()}`)}}`;
      }
    }
  };
  return `${ws()}${go(node)}${ws()}`;
}

const lexeme = fc.oneof(
  fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x.toExponential()),
  fc.constantFrom('2.0', '-0', '-0.0', '1E5', '0.9999999999999999', '123456789012345678901', '1e-7', '1e21'),
);
const jsonTree = fc.letrec<{ value: JsonNode; array: JsonNode; object: JsonNode }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<JsonNode>({ kind: 'null' }),
    fc.boolean().map((value): JsonNode => ({ kind: 'boolean', value })),
    lexeme.map((lexeme): JsonNode => ({ kind: 'number', lexeme })),
    fc.string({ unit: 'binary', maxLength: 6 }).map((value): JsonNode => ({ kind: 'string', value })),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }).map((items): JsonNode => ({ kind: 'array', items })),
  object: fc
    .uniqueArray(fc.tuple(fc.string({ unit: 'binary', maxLength: 4 }), tie('value')), {
      maxLength: 5,
      selector: ([key]) => key,
    })
    .map((entries): JsonNode => ({ kind: 'object', entries })),
}));

describe('computeCacheKey properties', () => {
  it('key order, whitespace and escapes never change the key', () => {
    fc.assert(
      fc.property(jsonTree.value, fc.integer(), fc.integer(), (tree, seedA, seedB) => {
        const a = renderVariant(tree, prng(seedA));
        const b = renderVariant(tree, prng(seedB));
        const keyA = computeCacheKey({ name: 'p', version: '1.0.0', config: a, scope: 's' });
        const keyB = computeCacheKey({ name: 'p', version: '1.0.0', config: b, scope: 's' });
        assert.equal(keyA.canonicalConfig, keyB.canonicalConfig, `${a}\n${b}`);
        assert.equal(keyA.cacheKey, keyB.cacheKey);
        assert.equal(keyA.canonicalConfig, canonicalJsonNode(tree));
        assert.doesNotMatch(keyA.canonicalConfig, /[\n\r\t]/, 'no whitespace outside strings');
      }),
      { numRuns: 300 },
    );
  });

  it('b3sum agrees on the concatenated canonical bytes of random configs', () => {
    fc.assert(
      fc.property(
        jsonTree.value,
        fc.string({ unit: 'binary', maxLength: 8 }),
        fc.string({ unit: 'binary', maxLength: 8 }),
        (tree, name, scope) => {
          const key = computeCacheKey({ name, version: '0.1.0', config: tree, scope });
          const bytes = Buffer.concat([utf8(name), utf8('0.1.0'), utf8(key.canonicalConfig), utf8(scope)]);
          assert.equal(key.cacheKey, b3sum(bytes));
        },
      ),
      { numRuns: 25 },
    );
  });
});
