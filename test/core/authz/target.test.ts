import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { entryMatches, parseTarget, type Target } from '../../../src/core/authz/target.js';

function entry(text: string): Target {
  const parsed = parseTarget(text, { allowWildcard: true });
  assert.ok('target' in parsed, `entry ${text}: ${'problem' in parsed ? parsed.problem : ''}`);
  return parsed.target;
}
function job(text: string): Target {
  const parsed = parseTarget(text, { allowWildcard: false });
  assert.ok('target' in parsed, `target ${text}: ${'problem' in parsed ? parsed.problem : ''}`);
  return parsed.target;
}
const covers = (e: string, t: string) => entryMatches(entry(e), job(t), 'contains');
const hits = (e: string, t: string) => entryMatches(entry(e), job(t), 'overlaps');

describe('parseTarget: what is a target', () => {
  const valid = [
    'example.com',
    'EXAMPLE.com.',
    'a-b.example.com',
    'localhost',
    'xn--bcher-kva.de',
    'bücher.de',
    '*.example.com',
    '192.0.2.1',
    '0.0.0.0',
    '::1',
    '2001:db8::1',
    '::ffff:192.0.2.1',
    '10.0.0.0/8',
    '10.0.0.7/8',
    '2001:db8::/32',
    '0.0.0.0/0',
    'https://app.example.com/api/',
    'http://example.com',
    'HTTPS://Example.COM:8443/x',
    'https://[2001:db8::1]:8443/x',
    'https://192.0.2.1/',
  ];
  for (const text of valid) {
    it(`accepts ${text} as an entry`, () => {
      assert.ok('target' in parseTarget(text, { allowWildcard: true }));
    });
  }
  const invalid = [
    'exa mple.com',
    '300.1.1.1',
    '1.2.3',
    '010.0.0.1',
    '10.0.0.0/33',
    '10.0.0.0/08',
    '2001:db8::/129',
    'ftp://x',
    'file:///etc/passwd',
    'https://user:pw@example.com/',
    'https://user@example.com/',
    'https://*.example.com/',
    'https://example.com:0/',
    'https://example.com:65536/',
    'https://example.com:/',
    'https://example.com/a/../b',
    'https://example.com/a/%2e%2e/b',
    'https://example.com/a%2F..%2Fb',
    'https://example.com/a\\b',
    'https://example.com/%zz',
    'https://[::1/',
    '-example.com',
    'example-.com',
    'exa_mple.com',
    'example..com',
    'example.com..',
    '*.',
    '*',
    'a.*.example.com',
    '*example.com',
    'fe80::1%eth0',
    '[::1]',
    `${'a'.repeat(64)}.com`,
    `${'a.'.repeat(127)}com`,
    '',
    'example.com\n',
    'https://example.com/x y',
  ];
  for (const text of invalid) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      const parsed = parseTarget(text, { allowWildcard: true });
      assert.ok('problem' in parsed, `${text} was accepted`);
    });
  }
  it('refuses a wildcard as a job target, and a URL entry with a query', () => {
    assert.ok('problem' in parseTarget('*.example.com', { allowWildcard: false }));
    assert.ok('problem' in parseTarget('https://example.com/a?x=1', { allowWildcard: true }));
    assert.ok('target' in parseTarget('https://example.com/a?x=1', { allowWildcard: false }));
  });
});

describe('entryMatches: the table of SPEC §9', () => {
  const table: Array<[string, string, boolean]> = [
    // host names: exact, case, trailing dot, IDN
    ['example.com', 'example.com', true],
    ['example.com', 'EXAMPLE.COM.', true],
    ['example.com.', 'example.com', true],
    ['example.com', 'www.example.com', false],
    ['example.com', 'notexample.com', false],
    ['bücher.de', 'xn--bcher-kva.de', true],
    ['xn--bcher-kva.de', 'BÜCHER.de', true],
    // wildcards: any depth, not the apex, label boundary
    ['*.example.com', 'www.example.com', true],
    ['*.example.com', 'a.b.c.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'badexample.com', false],
    ['*.example.com', 'example.com.evil.net', false],
    // IPs and CIDRs, IPv4-mapped IPv6 counted as IPv4
    ['192.0.2.1', '192.0.2.1', true],
    ['192.0.2.1', '192.0.2.2', false],
    ['192.0.2.0/24', '192.0.2.255', true],
    ['192.0.2.0/24', '192.0.3.0', false],
    ['192.0.2.9/24', '192.0.2.1', true],
    ['192.0.2.0/24', '::ffff:192.0.2.7', true],
    ['::ffff:192.0.2.0/120', '192.0.2.7', true],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['2001:db8::1', '2001:0db8:0000::0001', true],
    // a CIDR target must be wholly inside one entry
    ['192.0.2.0/24', '192.0.2.128/25', true],
    ['192.0.2.0/24', '192.0.2.0/24', true],
    ['192.0.2.0/24', '192.0.2.0/23', false],
    ['192.0.2.1', '192.0.2.1/32', true],
    // names and addresses never meet
    ['192.0.2.1', 'example.com', false],
    ['example.com', '192.0.2.1', false],
    ['*.example.com', '192.0.2.1', false],
    // URL entries: scheme, host, effective port, path prefix at / boundaries
    ['https://app.example.com/api/', 'https://app.example.com/api/v1', true],
    ['https://app.example.com/api/', 'https://app.example.com/api/', true],
    ['https://app.example.com/api/', 'https://app.example.com/api', false],
    ['https://app.example.com/api', 'https://app.example.com/api', true],
    ['https://app.example.com/api', 'https://app.example.com/api/x', true],
    ['https://app.example.com/api', 'https://app.example.com/apix', false],
    ['https://app.example.com/api/', 'http://app.example.com/api/v1', false],
    ['https://app.example.com/api/', 'https://app.example.com:443/api/v1', true],
    ['https://app.example.com:443/', 'https://app.example.com/x', true],
    ['http://app.example.com/', 'http://app.example.com:80/x', true],
    ['https://app.example.com/', 'https://app.example.com:8443/x', false],
    ['https://app.example.com/', 'https://APP.example.com./x?q=1#f', true],
    ['https://app.example.com/api/', 'https://app.example.com/API/v1', false],
    ['https://app.example.com/', 'https://www.example.com/', false],
    ['https://[2001:db8::1]/', 'https://[2001:db8:0::1]/a', true],
    ['https://app.example.com/', 'app.example.com', false],
    // a URL target is covered by a host, wildcard or IP entry for its host
    ['app.example.com', 'https://app.example.com:8443/anything', true],
    ['*.example.com', 'http://app.example.com/', true],
    ['192.0.2.0/24', 'https://192.0.2.5/x', true],
    ['2001:db8::/32', 'https://[2001:db8::5]/x', true],
    ['example.com', 'https://app.example.com/', false],
  ];
  for (const [e, t, expected] of table) {
    it(`${e} ${expected ? 'covers' : 'does not cover'} ${t}`, () => {
      assert.equal(covers(e, t), expected);
    });
  }
  it('excludes overlap a CIDR target; otherwise they match as entries do', () => {
    assert.equal(hits('192.0.2.1', '192.0.2.0/24'), true);
    assert.equal(hits('192.0.2.0/25', '192.0.2.0/24'), true);
    assert.equal(hits('192.0.3.0/24', '192.0.2.0/24'), false);
    assert.equal(hits('::ffff:192.0.2.1', '192.0.2.0/30'), true);
    assert.equal(hits('admin.example.com', 'x.admin.example.com'), false);
    assert.equal(hits('*.admin.example.com', 'x.admin.example.com'), true);
    assert.equal(hits('admin.example.com', 'https://admin.example.com/'), true);
    assert.equal(hits('https://app.example.com/api/admin', 'https://app.example.com/api/admin/x'), true);
  });
});

// ---- property tests against simple reference models -------------------------------------------------------

const label = fc.constantFrom('a', 'b', 'ab', 'x1', 'xn--bcher-kva', 'b-c');
const labels = fc.array(label, { minLength: 1, maxLength: 4 });
const randomCase = (s: string, flips: number) =>
  [...s].map((c, i) => ((flips >> (i % 30)) & 1 ? c.toUpperCase() : c)).join('');

const bits32 = (n: number) => (n >>> 0).toString(2).padStart(32, '0');
const v4 = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
const bits128 = (groups: readonly number[]) => groups.map((g) => g.toString(2).padStart(16, '0')).join('');
const v6 = (groups: readonly number[]) => groups.map((g) => g.toString(16)).join(':');
const group = fc.constantFrom(0, 1, 0x2001, 0xdb8, 0xffff, 0x8000);
const v6Groups = fc.array(group, { minLength: 8, maxLength: 8 }).filter(
  // the IPv4-mapped range is IPv4 by definition; the reference model of this property is plain IPv6
  (g) => !(g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff),
);

describe('entryMatches: properties against reference models', () => {
  it('host names: exact equality and "*." suffix at a label boundary, whatever the case or trailing dot', () => {
    fc.assert(
      fc.property(labels, labels, fc.boolean(), fc.nat(), fc.boolean(), (e, t, wildcard, flips, dot) => {
        const reference = wildcard
          ? t.length > e.length && t.slice(t.length - e.length).join('.') === e.join('.')
          : t.join('.') === e.join('.');
        const entryText = `${wildcard ? '*.' : ''}${e.join('.')}`;
        const targetText = `${randomCase(t.join('.'), flips)}${dot ? '.' : ''}`;
        assert.equal(covers(entryText, targetText), reference);
      }),
    );
  });

  it('IPv4 CIDR entries: the first prefix bits agree (also for the IPv4-mapped IPv6 form)', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.integer({ min: 0, max: 32 }), fc.nat(0xffffffff), (a, p, t) => {
        const reference = bits32(a).slice(0, p) === bits32(t).slice(0, p);
        assert.equal(covers(`${v4(a)}/${p}`, v4(t)), reference);
        assert.equal(covers(`${v4(a)}/${p}`, `::ffff:${v4(t)}`), reference);
      }),
    );
  });

  it('IPv4 CIDR targets: covered when inside, excluded when overlapping', () => {
    fc.assert(
      fc.property(
        fc.nat(0xffffffff),
        fc.integer({ min: 0, max: 32 }),
        fc.nat(0xffffffff),
        fc.integer({ min: 0, max: 32 }),
        (a, p, b, q) => {
          const inside = q >= p && bits32(a).slice(0, p) === bits32(b).slice(0, p);
          const m = Math.min(p, q);
          const overlap = bits32(a).slice(0, m) === bits32(b).slice(0, m);
          assert.equal(covers(`${v4(a)}/${p}`, `${v4(b)}/${q}`), inside);
          assert.equal(hits(`${v4(a)}/${p}`, `${v4(b)}/${q}`), overlap);
        },
      ),
    );
  });

  it('IPv6 CIDR entries: the first prefix bits agree', () => {
    fc.assert(
      fc.property(v6Groups, fc.integer({ min: 0, max: 128 }), v6Groups, (a, p, t) => {
        const reference = bits128(a).slice(0, p) === bits128(t).slice(0, p);
        assert.equal(covers(`${v6(a)}/${p}`, v6(t)), reference);
      }),
    );
  });

  it('URL prefixes: same scheme, host and effective port; path equal or below at a "/" boundary', () => {
    const segs = fc.array(fc.constantFrom('a', 'ab', 'api', 'v1'), { maxLength: 3 });
    const origin = fc.record({
      scheme: fc.constantFrom('http', 'https'),
      host: fc.constantFrom('a.example', 'b.example'),
      port: fc.constantFrom(undefined, 80, 443, 8443),
    });
    fc.assert(
      fc.property(
        origin,
        segs,
        fc.boolean(),
        origin,
        segs,
        fc.boolean(),
        (eo, es, eSlash, to, ts, tSlash) => {
          const path = (s: string[], slash: boolean) => `/${s.join('/')}${slash && s.length > 0 ? '/' : ''}`;
          const effective = (o: { scheme: string; port: number | undefined }) =>
            o.port ?? (o.scheme === 'https' ? 443 : 80);
          const E = path(es, eSlash);
          const T = path(ts, tSlash);
          const reference =
            eo.scheme === to.scheme &&
            eo.host === to.host &&
            effective(eo) === effective(to) &&
            (T === E || T.startsWith(E.endsWith('/') ? E : `${E}/`));
          const url = (o: typeof eo, p: string) =>
            `${o.scheme}://${o.host}${o.port === undefined ? '' : `:${o.port}`}${p}`;
          assert.equal(covers(url(eo, E), url(to, T)), reference);
        },
      ),
    );
  });
});
