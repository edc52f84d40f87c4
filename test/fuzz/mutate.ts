/**
 * The inputs of the fuzzing harness, as fast-check arbitraries (so a failure shrinks to a small input):
 * mutations of seed-corpus files (bit flips, byte writes, insertions, deletions, truncation, splicing with
 * another seed, interesting integers in binary, as tar octal text and as LEB128), structure-aware edits of JSON
 * seeds, and plain random bytes.
 */
import fc from 'fast-check';

/** Integers at the edges of the usual field widths: lengths, counts, sizes. */
export const INTERESTING_INTEGERS: readonly number[] = [
  0,
  1,
  0x7f,
  0x80,
  0xff,
  0x100,
  0x1ff,
  0x200,
  0x201,
  0x7fff,
  0x8000,
  0xffff,
  0x10000,
  0x7fffffff,
  0x80000000,
  0xffffffff,
  2 ** 32,
  2 ** 53 - 1,
];

/** Text that number and string fields trip over: tar octal fields, PAX records, JSON numbers. */
const INTERESTING_TEXT: readonly string[] = [
  '0',
  '-1',
  ' ',
  '\0',
  '77777777777',
  '777777777777',
  '99999999999999999999',
  '00000001000',
  '1e309',
  '-0',
  '0.5',
  'NaN',
  '\\u0000',
  '"__proto__"',
  '{"__proto__":1}',
  '[[[[[[[[[[[[',
  '\u202e',
  '\x1b[2J',
  'ustar\x0000',
  'ustar  \0',
  '30 path=manifest.json\n',
  '9999999 size=1\n',
];

/** LEB128 encodings of edge values, plus overlong and unterminated ones (wasm sizes and counts). */
const LEB128: readonly (readonly number[])[] = [
  [0x00],
  [0x7f],
  [0x80, 0x01],
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0xff, 0xff, 0xff, 0xff, 0x1f],
  [0x80, 0x80, 0x80, 0x80, 0x10],
  [0x80, 0x80, 0x80, 0x80, 0x00],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80],
  [0x40],
  [0x7f, 0x7f],
];

type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'byte'; readonly at: number; readonly value: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'truncate'; readonly at: number }
  | {
      readonly op: 'int';
      readonly at: number;
      readonly value: number;
      readonly width: number;
      readonly be: boolean;
    }
  | { readonly op: 'text'; readonly at: number; readonly text: string; readonly insert: boolean }
  | { readonly op: 'leb'; readonly at: number; readonly bytes: readonly number[]; readonly insert: boolean }
  | { readonly op: 'copy'; readonly from: number; readonly length: number; readonly to: number }
  | { readonly op: 'splice'; readonly seed: number; readonly at: number; readonly from: number };

const position = fc.nat({ max: 1 << 20 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.nat({ max: 7 }) }),
  fc.record({
    op: fc.constant('byte' as const),
    at: position,
    value: fc.constantFrom(0, 0x20, 0x30, 0x7f, 0x80, 0xff),
  }),
  fc.record({
    op: fc.constant('insert' as const),
    at: position,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({ op: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 600 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  fc.record({
    op: fc.constant('int' as const),
    at: position,
    value: fc.constantFrom(...INTERESTING_INTEGERS),
    width: fc.constantFrom(1, 2, 4, 8),
    be: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('text' as const),
    at: position,
    text: fc.constantFrom(...INTERESTING_TEXT),
    insert: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('leb' as const),
    at: position,
    bytes: fc.constantFrom(...LEB128),
    insert: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('copy' as const),
    from: position,
    length: fc.integer({ min: 1, max: 1024 }),
    to: position,
  }),
  fc.record({ op: fc.constant('splice' as const), seed: fc.nat(), at: position, from: position }),
);

function overwrite(input: Buffer, at: number, bytes: Uint8Array): Buffer {
  const out = Buffer.from(input);
  Buffer.from(bytes).copy(out, at, 0, Math.max(0, Math.min(bytes.length, out.length - at)));
  return out;
}

function insertAt(input: Buffer, at: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([input.subarray(0, at), bytes, input.subarray(at)]);
}

/** Applies one mutation; positions wrap around the input's length, so every mutation applies to any input. */
export function applyMutation(input: Buffer, m: Mutation, seeds: readonly Buffer[]): Buffer {
  const len = input.length;
  const at = (p: number) => (len === 0 ? 0 : p % len);
  switch (m.op) {
    case 'flip': {
      if (len === 0) return input;
      const out = Buffer.from(input);
      out[at(m.at)]! ^= 1 << m.bit;
      return out;
    }
    case 'byte':
      return len === 0 ? Buffer.from([m.value]) : overwrite(input, at(m.at), Uint8Array.of(m.value));
    case 'insert':
      return insertAt(input, m.at % (len + 1), m.bytes);
    case 'delete': {
      const start = at(m.at);
      return Buffer.concat([input.subarray(0, start), input.subarray(start + m.length)]);
    }
    case 'truncate':
      return input.subarray(0, m.at % (len + 1));
    case 'int': {
      const bytes = Buffer.alloc(8);
      bytes.writeBigUInt64LE(BigInt(m.value));
      const field = bytes.subarray(0, m.width);
      if (m.be) field.reverse();
      return overwrite(input, at(m.at), field);
    }
    case 'text': {
      const bytes = Buffer.from(m.text, 'latin1');
      return m.insert ? insertAt(input, m.at % (len + 1), bytes) : overwrite(input, at(m.at), bytes);
    }
    case 'leb': {
      const bytes = Uint8Array.from(m.bytes);
      return m.insert ? insertAt(input, m.at % (len + 1), bytes) : overwrite(input, at(m.at), bytes);
    }
    case 'copy': {
      if (len === 0) return input;
      const from = at(m.from);
      return insertAt(input, at(m.to), input.subarray(from, from + m.length));
    }
    case 'splice': {
      const other = seeds.length === 0 ? input : seeds[m.seed % seeds.length]!;
      return Buffer.concat([
        input.subarray(0, m.at % (len + 1)),
        other.subarray(m.from % (other.length + 1)),
      ]);
    }
  }
}

/** A seed with one to eight byte-level mutations applied in turn. */
export function mutatedSeeds(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 8 }))
    .map(([i, ms]) => ms.reduce((input, m) => applyMutation(input, m, seeds), seeds[i]!));
}

// ---- JSON ------------------------------------------------------------------------------------------------------

type JsonEdit =
  | { readonly op: 'replace'; readonly at: number; readonly value: unknown }
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'add'; readonly at: number; readonly key: string; readonly value: unknown }
  | { readonly op: 'wrap'; readonly at: number; readonly inArray: boolean };

/** Keys a schema has opinions about, and prototype names that plain-object code trips over. */
const JSON_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'schema_version',
  'x-a',
  'name',
  'size',
  'sha256',
  '',
];

const jsonEdit: fc.Arbitrary<JsonEdit> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({
    op: fc.constant('replace' as const),
    at: fc.nat(),
    value: fc.constantFrom<unknown>(null, 0, -1, 1.5, 2 ** 53, 1e308, '', 'x'.repeat(300), [], {}, true),
  }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('add' as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom(...JSON_KEYS), fc.string({ maxLength: 8 })),
    value: fc.jsonValue({ maxDepth: 1 }),
  }),
  fc.record({ op: fc.constant('wrap' as const), at: fc.nat(), inArray: fc.boolean() }),
);

/** Every container and value of a JSON document with its parent, in document order. */
function nodesOf(
  root: unknown,
): Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> {
  const out: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) {
      node.forEach((v, i) => {
        out.push({ parent: node, key: i });
        walk(v);
      });
    } else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        out.push({ parent: node as Record<string, unknown>, key: k });
        walk(v);
      }
    }
  };
  walk(root);
  return out;
}

function applyJsonEdit(doc: { root: unknown }, edit: JsonEdit): void {
  const nodes = nodesOf(doc.root);
  if (nodes.length === 0) {
    if (edit.op === 'replace') doc.root = structuredClone(edit.value);
    return;
  }
  const { parent, key } = nodes[edit.at % nodes.length]!;
  const get = () => (parent as Record<string | number, unknown>)[key];
  const set = (v: unknown) => {
    // defineProperty, so that a "__proto__" key is an own property (as JSON.parse makes it), not the prototype.
    Object.defineProperty(parent, key, { value: v, enumerable: true, writable: true, configurable: true });
  };
  switch (edit.op) {
    case 'replace':
      set(structuredClone(edit.value));
      return;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      return;
    case 'add': {
      const target = get();
      // Copies: fast-check hands the same value to every use, and a value added inside itself is a cycle.
      const value = structuredClone(edit.value);
      if (Array.isArray(target)) target.push(value);
      else if (target !== null && typeof target === 'object') {
        Object.defineProperty(target, edit.key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else set(value);
      return;
    }
    case 'wrap':
      set(edit.inArray ? [get()] : { value: get() });
      return;
  }
}

/**
 * Structure-aware edits of JSON seeds: values replaced by other JSON (edge numbers, long strings, wrong
 * types), members deleted or added (prototype names included), values wrapped; serialized compact or
 * indented. Seeds that are not JSON are left out.
 */
export function editedJsonSeeds(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> | undefined {
  const docs: unknown[] = [];
  for (const s of seeds) {
    try {
      docs.push(JSON.parse(s.toString('utf8')));
    } catch {
      // a malformed seed is still a byte-mutation seed
    }
  }
  if (docs.length === 0) return undefined;
  return fc
    .tuple(fc.nat({ max: docs.length - 1 }), fc.array(jsonEdit, { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([i, edits, pretty]) => {
      const doc = { root: structuredClone(docs[i]) };
      for (const e of edits) applyJsonEdit(doc, e);
      return Buffer.from(JSON.stringify(doc.root, null, pretty ? 2 : undefined) ?? 'null');
    });
}

/** The input arbitrary of a target: mostly mutated seeds, some JSON edits (JSON seeds), some random bytes. */
export function fuzzInputs(seeds: readonly Buffer[], maxRandomLength = 2048): fc.Arbitrary<Buffer> {
  const random = fc.uint8Array({ maxLength: maxRandomLength }).map((b) => Buffer.from(b));
  if (seeds.length === 0) return random;
  const json = editedJsonSeeds(seeds);
  return fc.oneof(
    { arbitrary: mutatedSeeds(seeds), weight: 6 },
    ...(json === undefined ? [] : [{ arbitrary: json, weight: 6 }]),
    { arbitrary: fc.constantFrom(...seeds), weight: 1 },
    { arbitrary: random, weight: 1 },
  );
}
