import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ManifestContext, parseManifest, validateManifest } from '../../src/core/manifest.js';
import {
  CAPABILITY_RISK,
  type Capability,
  RISK_CLASSES,
  type RiskClass,
  riskRank,
} from '../../src/core/types.js';
import { AurionError, type Issue } from '../../src/errors.js';

// The SPEC §3 examples, verbatim where SPEC gives them.
const WASM = {
  schema_version: 1,
  name: 'dns-enum',
  version: '1.2.0',
  description: 'Passive DNS enumeration',
  capabilities: ['PassiveEnum'],
  risk_class: 'Low',
  supported_scopes: ['*.example.com'],
  runtime: 'wasm',
  module: { path: 'target/wasm32-wasip1/release/dns_enum.wasm' },
  host_imports: [],
  limits: { memory_mib: 64, timeout_seconds: 300 },
  author: '...',
  license: 'Apache-2.0',
  homepage: '...',
};
const CONTAINER_SPEC = {
  image: `registry.example/org/tool@sha256:${'0123456789abcdef'.repeat(4)}`,
  user: '10001:10001',
  read_only_rootfs: true,
  seccomp_profile: 'runtime/default',
  apparmor_profile: 'runtime/default',
  env: ['API_TOKEN'],
};
const CONTAINER = {
  schema_version: 1,
  name: 'port-scan',
  version: '0.3.0',
  capabilities: ['PortScan'],
  risk_class: 'Medium',
  runtime: 'container',
  container: CONTAINER_SPEC,
};
const SHA = 'ab'.repeat(32);
const IN_BUNDLE = { ...WASM, module: { path: 'module.wasm', sha256: SHA, size: 1234 } };

type Json = Record<string, unknown>;
const SOURCE = 'plugins/x/manifest.json';

/** `base` with keys replaced; a value of `undefined` removes the key. */
function edit(base: Json, changes: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}
const container = (changes: Json) => edit(CONTAINER, { container: edit(CONTAINER_SPEC, changes) });

function accepts(value: unknown, context: Partial<ManifestContext> = {}): void {
  try {
    validateManifest(value, { source: SOURCE, ...context });
  } catch (e) {
    if (e instanceof AurionError) assert.fail(`refused: ${e.message}\n${JSON.stringify(e.issues)}`);
    throw e;
  }
}

/** Every located issue of a MANIFEST_INVALID error, whether it was reported alone (headline) or in a list. */
function issuesOf(e: AurionError): Issue[] {
  if (e.issues.length > 0) return [...e.issues];
  const prefix = `invalid manifest ${SOURCE}: `;
  assert.ok(e.message.startsWith(prefix), e.message);
  const text = e.message.slice(prefix.length);
  const m = /^(\/\S*) (.*)$/s.exec(text);
  return [m === null ? { at: '', message: text } : { at: m[1]!, message: m[2]! }];
}

function refusal(fn: () => unknown): AurionError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AurionError, String(e));
    assert.equal(e.code, 'MANIFEST_INVALID', e.message);
    assert.equal(e.exitCode, 3);
    assert.match(e.hint ?? '', /manifest/);
    return e;
  }
  return assert.fail('expected MANIFEST_INVALID, but the manifest was accepted');
}

/**
 * Asserts MANIFEST_INVALID whose issues are exactly at `expected` pointers, each message matching its pattern.
 * Returns the issues.
 */
function refuses(
  value: unknown,
  expected: ReadonlyArray<readonly [string, RegExp]>,
  context: Partial<ManifestContext> = {},
): Issue[] {
  const issues = issuesOf(refusal(() => validateManifest(value, { source: SOURCE, ...context })));
  assert.deepEqual(
    [...new Set(issues.map((i) => i.at))].sort(),
    [...new Set(expected.map(([at]) => at))].sort(),
    JSON.stringify(issues),
  );
  for (const [at, message] of expected) {
    assert.ok(
      issues.some((i) => i.at === at && message.test(i.message)),
      `no issue at ${at} matching ${message}: ${JSON.stringify(issues)}`,
    );
  }
  return issues;
}

describe('validateManifest: the SPEC §3 examples', () => {
  it('accepts the wasm example', () => accepts(WASM));
  it('accepts the container example', () => accepts(CONTAINER));
  it('accepts a wasm manifest with only the required keys', () => {
    accepts({
      schema_version: 1,
      name: 'ab',
      version: '0.0.0',
      capabilities: ['PassiveEnum'],
      risk_class: 'Low',
      runtime: 'wasm',
      module: { path: 'm.wasm' },
    });
  });
  it('returns the value it validated', () => {
    const m = validateManifest(WASM, { source: SOURCE });
    assert.equal(m.name, 'dns-enum');
    assert.deepEqual(m.capabilities, ['PassiveEnum']);
  });
});

describe('validateManifest: required keys and the document', () => {
  for (const key of ['schema_version', 'name', 'version', 'capabilities', 'risk_class', 'runtime']) {
    it(`refuses a manifest without ${key}`, () => {
      refuses(edit(WASM, { [key]: undefined }), [[`/${key}`, /^is required$/]]);
    });
  }

  it('reports every missing key of an empty object at once', () => {
    const issues = refuses({}, [
      ['/capabilities', /is required/],
      ['/name', /is required/],
      ['/risk_class', /is required/],
      ['/runtime', /is required/],
      ['/schema_version', /is required/],
      ['/version', /is required/],
    ]);
    assert.equal(issues.length, 6);
  });

  for (const value of [[], null, 'manifest', 42, true]) {
    it(`refuses ${JSON.stringify(value)} as a document`, () => {
      refuses(value, [['', /must be object/]]);
    });
  }

  for (const version of [0, 2, '1', 1.5]) {
    it(`refuses schema_version ${JSON.stringify(version)}`, () => {
      refuses(edit(WASM, { schema_version: version }), [['/schema_version', /must be 1/]]);
    });
  }
});

describe('validateManifest: name', () => {
  const good = ['ab', 'a1', 'a-b', 'a--b', 'dns-enum', `a${'b'.repeat(63)}`, `a${'-'.repeat(62)}z`];
  for (const name of good)
    it(`accepts ${JSON.stringify(name)} (${name.length} chars)`, () => accepts(edit(WASM, { name })));

  const bad = [
    'a',
    `a${'b'.repeat(64)}`,
    '',
    'ab-',
    '-ab',
    '1ab',
    'Ab',
    'aB',
    'MY-TOOL',
    'My_Tool',
    'my_tool',
    'my tool',
    'my.tool',
    'tööl',
    'tool\n',
  ];
  for (const name of bad) {
    it(`refuses ${JSON.stringify(name)} (${name.length} chars)`, () => {
      refuses(edit(WASM, { name }), [['/name', /lowercase letters, digits and '-'/]]);
    });
  }
  it('refuses a name that is not a string', () => {
    refuses(edit(WASM, { name: 12 }), [['/name', /must be string/]]);
  });
  it('reports a too-short name once', () => {
    assert.equal(refuses(edit(WASM, { name: 'a' }), [['/name', /2-64 characters/]]).length, 1);
  });
  it('names the 64-character limit for a long name', () => {
    refuses(edit(WASM, { name: 'a'.repeat(65) }), [['/name', /must NOT have more than 64 characters/]]);
  });
});

describe('validateManifest: version (SemVer 2.0.0, the official grammar)', () => {
  const good = [
    '0.0.0',
    '1.0.0',
    '10.20.30',
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.1+build.5',
    '1.0.0-0.3.7',
    '1.0.0-x.7.z.92',
    '1.0.0-x-y-z.--',
    '1.0.0-alpha+001',
    '1.0.0+20130313144700',
    '1.0.0-beta+exp.sha.5114f85',
    '1.0.0-rc.1+build.1',
    '1.0.0-0A.is.legal',
    '999999999999.0.0',
  ];
  for (const version of good) it(`accepts ${version}`, () => accepts(edit(WASM, { version })));

  const bad = [
    '01.0.0',
    '1.01.0',
    '1.0.01',
    '1.0',
    '1',
    '1.0.0-01',
    '1.0.0-alpha.01',
    '1.0.0-',
    '1.0.0+',
    '1.0.0-alpha..1',
    '1.0.0+build..1',
    '1.0.0+build+x',
    '1.0.0-alpha_beta',
    'v1.0.0',
    '1.0.0 ',
    ' 1.0.0',
    '1.0.0\n',
    '1.0.0-ä',
    '1.2.3.4',
    '',
  ];
  for (const version of bad) {
    it(`refuses ${JSON.stringify(version)}`, () => {
      refuses(edit(WASM, { version }), [['/version', /SemVer 2\.0\.0/]]);
    });
  }
  it('refuses a version that is a number', () => {
    refuses(edit(WASM, { version: 1 }), [['/version', /must be string/]]);
  });
});

describe('validateManifest: capabilities and risk_class', () => {
  it('refuses an empty list', () => {
    refuses(edit(WASM, { capabilities: [] }), [['/capabilities', /fewer than 1 items/]]);
  });

  it('refuses 5 items (at most 4, and only 4 distinct values exist)', () => {
    refuses(
      edit(WASM, {
        capabilities: ['PassiveEnum', 'PortScan', 'VulnerabilityScan', 'Fuzz', 'Fuzz'],
        risk_class: 'High',
      }),
      [
        ['/capabilities', /more than 4 items/],
        ['/capabilities', /must not repeat items \(items 3 and 4 are equal\)/],
      ],
    );
  });

  it('refuses duplicates', () => {
    refuses(edit(WASM, { capabilities: ['PortScan', 'PortScan'], risk_class: 'Medium' }), [
      ['/capabilities', /must not repeat items/],
    ]);
  });

  for (const capability of ['Bogus', 'passiveenum', 'PASSIVEENUM', '', 3]) {
    it(`refuses the unknown capability ${JSON.stringify(capability)}`, () => {
      refuses(edit(WASM, { capabilities: ['PassiveEnum', capability] }), [
        ['/capabilities/1', /must be one of "PassiveEnum", "PortScan", "VulnerabilityScan", "Fuzz"/],
      ]);
    });
  }

  it('refuses capabilities that are not a list', () => {
    refuses(edit(WASM, { capabilities: 'PassiveEnum' }), [['/capabilities', /must be array/]]);
  });

  for (const risk of ['Critical', 'low', 'HIGH', '', null]) {
    it(`refuses the risk class ${JSON.stringify(risk)}`, () => {
      refuses(edit(WASM, { risk_class: risk }), [['/risk_class', /must be one of "Low", "Medium", "High"/]]);
    });
  }

  // Every non-empty ordered selection of distinct capabilities (64), with every risk class: exactly the
  // highest class of the capabilities passes.
  const all = Object.keys(CAPABILITY_RISK) as Capability[];
  const sequences: Capability[][] = [];
  const extend = (prefix: Capability[]) => {
    for (const c of all) {
      if (prefix.includes(c)) continue;
      const next = [...prefix, c];
      sequences.push(next);
      extend(next);
    }
  };
  extend([]);
  it('has 64 capability sequences to try', () => assert.equal(sequences.length, 64));

  for (const capabilities of sequences) {
    const highest = capabilities
      .map((c) => CAPABILITY_RISK[c] as RiskClass)
      .reduce((a, b) => (riskRank(a) >= riskRank(b) ? a : b));
    it(`[${capabilities.join(', ')}] must say ${highest}`, () => {
      for (const risk of RISK_CLASSES) {
        const value = edit(WASM, { capabilities, risk_class: risk });
        if (risk === highest) accepts(value);
        else
          refuses(value, [
            ['/risk_class', new RegExp(`must be "${highest}", the highest class of the capabilities`)],
          ]);
      }
    });
  }
});

describe('validateManifest: runtime', () => {
  it('refuses an unknown runtime', () => {
    refuses(edit(WASM, { runtime: 'docker' }), [['/runtime', /must be one of "wasm", "container"/]]);
  });
  it('wasm needs module', () => {
    refuses(edit(WASM, { module: undefined }), [['/module', /is required/]]);
  });
  it('wasm forbids container', () => {
    refuses(edit(WASM, { container: CONTAINER_SPEC }), [
      ['/container', /not allowed .*a wasm plugin has a module/],
    ]);
  });
  it('container needs container', () => {
    refuses(edit(CONTAINER, { container: undefined }), [['/container', /is required/]]);
  });
  it('container forbids module', () => {
    refuses(edit(CONTAINER, { module: { path: 'x.wasm' } }), [
      ['/module', /not allowed .*container plugin has no module/],
    ]);
  });
  it('container forbids host_imports, even an empty list', () => {
    refuses(edit(CONTAINER, { host_imports: [] }), [
      ['/host_imports', /host_imports apply to wasm modules only/],
    ]);
  });
  it('container with neither module nor container reports the missing container', () => {
    refuses(edit(CONTAINER, { container: undefined, module: undefined }), [['/container', /is required/]]);
  });
});

describe('validateManifest: module and host_imports', () => {
  it('needs module.path, a non-empty string', () => {
    refuses(edit(WASM, { module: {} }), [['/module/path', /is required/]]);
    refuses(edit(WASM, { module: { path: '' } }), [['/module/path', /fewer than 1 characters/]]);
    refuses(edit(WASM, { module: { path: 7 } }), [['/module/path', /must be string/]]);
  });
  it('refuses unknown keys in module', () => {
    refuses(edit(WASM, { module: { path: 'm.wasm', digest: 'x' } }), [
      ['/module/digest', /is not a known property/],
    ]);
  });
  it('checks sha256 and size when a source manifest gives them', () => {
    accepts(edit(WASM, { module: { path: 'm.wasm', sha256: SHA, size: 0 } }));
    refuses(edit(WASM, { module: { path: 'm.wasm', sha256: SHA.toUpperCase() } }), [
      ['/module/sha256', /64 lowercase hex/],
    ]);
    refuses(edit(WASM, { module: { path: 'm.wasm', size: -1 } }), [['/module/size', /must be >= 0/]]);
  });
  it('accepts declared host import modules', () => {
    accepts(edit(WASM, { host_imports: ['aurion_net', 'env'] }));
  });
  it('refuses wasi_snapshot_preview1 in host_imports (always allowed), duplicates and empty names', () => {
    refuses(edit(WASM, { host_imports: ['wasi_snapshot_preview1'] }), [
      ['/host_imports/0', /other than wasi_snapshot_preview1/],
    ]);
    refuses(edit(WASM, { host_imports: ['env', 'env'] }), [['/host_imports', /must not repeat items/]]);
    refuses(edit(WASM, { host_imports: [''] }), [['/host_imports/0', /fewer than 1 characters/]]);
  });
});

describe('validateManifest: container hardening', () => {
  const digest = '0123456789abcdef'.repeat(4);
  for (const image of [
    `r.example/org/tool@sha256:${digest}`,
    `tool@sha256:${digest}`,
    `r.example:5000/o/t:1.0@sha256:${digest}`,
  ]) {
    it(`accepts the pinned image ${image.slice(0, 30)}...`, () => accepts(container({ image })));
  }
  const unpinned = [
    'r.example/org/tool:latest',
    'r.example/org/tool',
    `r.example/org/tool@sha256:${digest.toUpperCase()}`,
    `r.example/org/tool@sha256:${digest.slice(1)}`,
    `r.example/org/tool@sha512:${digest}${digest}`,
    `@sha256:${digest}`,
    `r.example/org/tool@sha256:${digest} `,
  ];
  for (const image of unpinned) {
    it(`refuses the image ${JSON.stringify(image.slice(0, 40))}`, () => {
      refuses(container({ image }), [
        ['/container/image', /pinned by digest: NAME@sha256:<64 lowercase hex>/],
      ]);
    });
  }

  for (const user of [
    '10001:0',
    '10001',
    '10001:10001',
    'nobody',
    'app:app',
    '1000:root',
    'rooter',
    'ROOT',
    '100',
  ]) {
    it(`accepts the user ${user}`, () => accepts(container({ user })));
  }
  for (const user of [
    'root',
    '0',
    'root:root',
    '0:0',
    '00',
    '0:10001',
    'root:10001',
    '',
    ':1000',
    '1000:',
    'a b',
    'root:',
  ]) {
    it(`refuses the user ${JSON.stringify(user)}`, () => {
      refuses(container({ user }), [['/container/user', /non-root user .*must not be root or 0/]]);
    });
  }

  it('needs read_only_rootfs: true', () => {
    refuses(container({ read_only_rootfs: false }), [['/container/read_only_rootfs', /must be true/]]);
    refuses(container({ read_only_rootfs: 'true' }), [['/container/read_only_rootfs', /must be true/]]);
    refuses(container({ read_only_rootfs: undefined }), [['/container/read_only_rootfs', /is required/]]);
  });

  for (const key of ['seccomp_profile', 'apparmor_profile']) {
    it(`needs a non-empty ${key}`, () => {
      accepts(container({ [key]: 'localhost/profiles/plugin.json' }));
      refuses(container({ [key]: undefined }), [[`/container/${key}`, /is required/]]);
      refuses(container({ [key]: '' }), [
        [`/container/${key}`, /must be a.* profile such as runtime\/default/],
      ]);
      refuses(container({ [key]: '  ' }), [[`/container/${key}`, /must be a.* profile/]]);
      refuses(container({ [key]: 'unconfined' }), [
        [`/container/${key}`, /not allowed .*'unconfined' is not a profile/],
      ]);
    });
  }

  it('accepts environment variable names and no env at all', () => {
    accepts(container({ env: ['API_TOKEN', '_X', 'a1', 'HTTP_PROXY'] }));
    accepts(container({ env: [] }));
    accepts(container({ env: undefined }));
  });
  for (const name of ['1BAD', 'A-B', 'A B', '', 'A=B', 'ÄPI']) {
    it(`refuses the env name ${JSON.stringify(name)}`, () => {
      refuses(container({ env: ['OK', name] }), [
        ['/container/env/1', /must be an environment variable name/],
      ]);
    });
  }
  it('refuses duplicate env names', () => {
    refuses(container({ env: ['A', 'A'] }), [['/container/env', /must not repeat items/]]);
  });
  it('refuses unknown container keys (a typo must not pass)', () => {
    refuses(container({ privileged: true }), [['/container/privileged', /is not a known property/]]);
    refuses(container({ read_only_root_fs: true }), [
      ['/container/read_only_root_fs', /is not a known property/],
    ]);
  });
  it('reports every hardening problem at once', () => {
    const issues = refuses(
      container({
        image: 'x:latest',
        user: '0:0',
        read_only_rootfs: false,
        seccomp_profile: 'unconfined',
        apparmor_profile: '',
        env: ['1'],
      }),
      [
        ['/container/image', /pinned by digest/],
        ['/container/user', /non-root/],
        ['/container/read_only_rootfs', /must be true/],
        ['/container/seccomp_profile', /unconfined/],
        ['/container/apparmor_profile', /AppArmor/],
        ['/container/env/0', /environment variable name/],
      ],
    );
    assert.equal(issues.length, 6);
  });
});

describe('validateManifest: limits', () => {
  for (const limits of [
    {},
    { memory_mib: 1 },
    { memory_mib: 64 },
    { timeout_seconds: 1 },
    { timeout_seconds: 300 },
  ]) {
    it(`accepts ${JSON.stringify(limits)}`, () => accepts(edit(WASM, { limits })));
  }
  const bad: Array<[Json, string, RegExp]> = [
    [{ memory_mib: 0 }, '/limits/memory_mib', /must be >= 1/],
    [{ memory_mib: 65 }, '/limits/memory_mib', /must be <= 64/],
    [{ memory_mib: 1.5 }, '/limits/memory_mib', /must be integer/],
    [{ memory_mib: '64' }, '/limits/memory_mib', /must be integer/],
    [{ timeout_seconds: 0 }, '/limits/timeout_seconds', /must be >= 1/],
    [{ timeout_seconds: 301 }, '/limits/timeout_seconds', /must be <= 300/],
    [{ timeout_seconds: -5 }, '/limits/timeout_seconds', /must be >= 1/],
    [{ cpu: 2 }, '/limits/cpu', /is not a known property/],
  ];
  for (const [limits, at, message] of bad) {
    it(`refuses ${JSON.stringify(limits)}`, () => {
      refuses(edit(WASM, { limits }), [[at, message]]);
    });
  }
  it('refuses limits that are not an object', () => {
    refuses(edit(WASM, { limits: 64 }), [['/limits', /must be object/]]);
  });
});

describe('validateManifest: unknown keys', () => {
  it('refuses an unknown top-level key, saying extensions start with x-', () => {
    refuses(edit(WASM, { runtme: 'wasm' }), [
      ['/runtme', /is not a known property \(extension keys must start with "x-"\)/],
    ]);
  });
  it('allows x- keys with any value', () => {
    accepts(edit(WASM, { 'x-vendor': { anything: [1, 2] }, 'x-': null, 'x-build-id': 'abc' }));
  });
  for (const key of ['X-vendor', 'x_vendor', 'xvendor', '-x-vendor']) {
    it(`refuses ${JSON.stringify(key)} (not an x- key)`, () => {
      refuses(edit(WASM, { [key]: 1 }), [[`/${key}`, /is not a known property/]]);
    });
  }
});

describe('validateManifest: reporting', () => {
  it('reports all errors together, each with its JSON pointer, in document order', () => {
    const e = refusal(() =>
      validateManifest(
        edit(WASM, {
          name: 'Bad_Name',
          version: '1.0',
          capabilities: ['PortScan', 'Nope'],
          risk_class: 'Low',
          limits: { memory_mib: 100 },
          typo: 1,
        }),
        { source: SOURCE },
      ),
    );
    assert.match(e.message, /^invalid manifest plugins\/x\/manifest\.json: 6 problems$/);
    assert.deepEqual(
      e.issues.map((i) => i.at),
      ['/capabilities/1', '/limits/memory_mib', '/name', '/risk_class', '/typo', '/version'],
    );
    for (const issue of e.issues) assert.ok(issue.message.length > 0);
  });

  it('puts a single problem in the headline with its pointer', () => {
    const e = refusal(() => validateManifest(edit(WASM, { version: '1.0' }), { source: SOURCE }));
    assert.match(
      e.message,
      /^invalid manifest plugins\/x\/manifest\.json: \/version must be a SemVer 2\.0\.0 version/,
    );
    assert.deepEqual(e.issues, []);
  });

  it('prints no raw ajv dumps or schema internals', () => {
    const e = refusal(() => validateManifest({ ...CONTAINER, container: { user: 0 } }, { source: SOURCE }));
    for (const issue of e.issues) {
      assert.doesNotMatch(issue.message, /#\/|\$ref|allOf|keyword|schemaPath/);
      assert.match(issue.at, /^\/container/);
    }
  });
});

describe('parseManifest (bytes)', () => {
  const bytes = (text: string) => Buffer.from(text, 'utf8');
  const parse = (b: Uint8Array, context: Partial<ManifestContext> = {}) =>
    parseManifest(b, { source: SOURCE, ...context });
  const refusesBytes = (b: Uint8Array, at: string, message: RegExp) => {
    const issues = issuesOf(refusal(() => parse(b)));
    assert.equal(issues.length, 1, JSON.stringify(issues));
    assert.equal(issues[0]!.at, at);
    assert.match(issues[0]!.message, message);
  };

  it('parses and validates UTF-8 JSON', () => {
    assert.equal(parse(bytes(JSON.stringify(WASM, null, 2))).name, 'dns-enum');
    const withUnicode = edit(WASM, { description: 'Énumération passive — DNS 🛰' });
    assert.equal(parse(bytes(JSON.stringify(withUnicode))).description, 'Énumération passive — DNS 🛰');
  });

  it('refuses a byte order mark', () => {
    refusesBytes(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes(JSON.stringify(WASM))]),
      '',
      /byte order mark/,
    );
  });

  const invalidUtf8: Array<[string, number[]]> = [
    ['a stray continuation byte', [0x80]],
    ['0xff', [0xff]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
  ];
  for (const [what, bad] of invalidUtf8) {
    it(`refuses invalid UTF-8: ${what}`, () => {
      const text = JSON.stringify(edit(WASM, { description: 'XX' }));
      const [before, after] = text.split('XX') as [string, string];
      refusesBytes(Buffer.concat([bytes(before), Buffer.from(bad), bytes(after)]), '', /not valid UTF-8/);
    });
  }

  it('refuses duplicate keys at the top level and nested, with the pointer', () => {
    const text = JSON.stringify(WASM);
    refusesBytes(
      bytes(text.replace('"name":"dns-enum"', '"name":"dns-enum","name":"other"')),
      '/name',
      /duplicate key "name"/,
    );
    refusesBytes(
      bytes(text.replace('"memory_mib":64', '"memory_mib":64,"memory_mib":1')),
      '/limits/memory_mib',
      /duplicate key "memory_mib"/,
    );
  });

  it('refuses JSON syntax errors with line and column', () => {
    refusesBytes(bytes('{\n  "name": "x",\n}'), '', /line 3, column 1/);
    refusesBytes(bytes(''), '', /end of input/);
    refusesBytes(bytes(`${JSON.stringify(WASM)} {}`), '', /after the JSON value/);
  });

  it('applies the schema after parsing', () => {
    refusesBytes(bytes(JSON.stringify(edit(WASM, { risk_class: 'High' }))), '/risk_class', /must be "Low"/);
  });
});

describe('the in-bundle form (inBundle: true)', () => {
  const inBundle = { inBundle: true };
  it('accepts module.wasm with sha256 and size', () => accepts(IN_BUNDLE, inBundle));
  it('accepts a container manifest (no module)', () => accepts(CONTAINER, inBundle));
  it('refuses any other module path', () => {
    refuses(
      edit(IN_BUNDLE, { module: { path: 'dns_enum.wasm', sha256: SHA, size: 1 } }),
      [['/module/path', /always module\.wasm/]],
      inBundle,
    );
    refuses(
      edit(IN_BUNDLE, { module: { path: './module.wasm', sha256: SHA, size: 1 } }),
      [['/module/path', /always module\.wasm/]],
      inBundle,
    );
  });
  it('needs sha256 and size', () => {
    refuses(
      edit(IN_BUNDLE, { module: { path: 'module.wasm' } }),
      [
        ['/module/sha256', /is required/],
        ['/module/size', /is required/],
      ],
      inBundle,
    );
  });
  it('checks sha256 (64 lowercase hex) and size (a non-negative integer)', () => {
    refuses(
      edit(IN_BUNDLE, { module: { path: 'module.wasm', sha256: 'ab', size: 1 } }),
      [['/module/sha256', /64 lowercase hex/]],
      inBundle,
    );
    refuses(
      edit(IN_BUNDLE, { module: { path: 'module.wasm', sha256: SHA.toUpperCase(), size: 1 } }),
      [['/module/sha256', /64 lowercase hex/]],
      inBundle,
    );
    refuses(
      edit(IN_BUNDLE, { module: { path: 'module.wasm', sha256: SHA, size: -1 } }),
      [['/module/size', /must be >= 0/]],
      inBundle,
    );
    refuses(
      edit(IN_BUNDLE, { module: { path: 'module.wasm', sha256: SHA, size: 1.5 } }),
      [['/module/size', /must be integer/]],
      inBundle,
    );
  });
  it('keeps every source rule (risk class, unknown keys, runtime)', () => {
    refuses(edit(IN_BUNDLE, { risk_class: 'High' }), [['/risk_class', /must be "Low"/]], inBundle);
    refuses(edit(IN_BUNDLE, { extra: 1 }), [['/extra', /is not a known property/]], inBundle);
    refuses(edit(IN_BUNDLE, { module: undefined }), [['/module', /is required/]], inBundle);
  });
  it('the source form does not need sha256 and size', () => {
    accepts(edit(WASM, { module: { path: 'module.wasm' } }));
    refuses(
      edit(WASM, { module: { path: 'module.wasm' } }),
      [
        ['/module/sha256', /is required/],
        ['/module/size', /is required/],
      ],
      inBundle,
    );
  });
});

describe('schema issue pointers', () => {
  it('escape "/" and "~" in unknown property names (RFC 6901)', () => {
    try {
      validateManifest(
        {
          schema_version: 1,
          name: 'dns-enum',
          version: '1.0.0',
          capabilities: ['PassiveEnum'],
          risk_class: 'Low',
          runtime: 'wasm',
          module: { path: 'm.wasm' },
          'a/b~c': 1,
        },
        { source: 'm.json' },
      );
      assert.fail('expected MANIFEST_INVALID');
    } catch (e) {
      assert.ok(e instanceof AurionError);
      assert.equal(e.code, 'MANIFEST_INVALID');
      assert.match(e.message, /\/a~1b~0c /);
    }
  });
});
