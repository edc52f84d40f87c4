import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as noble from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import {
  isCanonicalEncoding,
  isReducedScalar,
  isSmallOrderEncoding,
  publicKeyObject,
  publicKeyProblem,
  signEd25519,
  verifyEd25519,
  verifyEd25519Async,
} from '../../src/core/ed25519.js';
import { loadPrivateKey } from '../../src/core/keys.js';
import { ROOT } from '../helpers.js';

noble.hashes.sha512 = sha512;

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A PKCS#8 PEM private key for a 32-byte RFC 8032 secret key (seed), loaded through keys.ts. */
function keyFromSeed(seed: Uint8Array) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const pem = `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n`;
  return loadPrivateKey(pem, undefined, 'test key');
}

/** RFC 8032 §7.1, the five Ed25519 "TEST" vectors, copied from the RFC. */
const RFC8032 = [
  {
    name: 'TEST 1',
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST 1024',
    secret: 'f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5',
    public: '278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e',
    message:
      '08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1' +
      'e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d' +
      '658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a' +
      '7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e' +
      '06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10' +
      '3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1' +
      '85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d' +
      '502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270' +
      '88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b' +
      'eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba' +
      'b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b' +
      'e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7' +
      '51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d' +
      'cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df' +
      'f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7' +
      '984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4' +
      '88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09' +
      '43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f' +
      'b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161' +
      '0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d' +
      'b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca' +
      'c60c905c15fc910840b94c00a0b9d0',
    signature:
      '0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03',
  },
  {
    name: 'TEST SHA(abc)',
    secret: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    public: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    message:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a' +
      '2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    signature:
      'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
];

describe('Ed25519: RFC 8032 §7.1 test vectors', () => {
  it('TEST 1024 has its 1023-byte message and TEST SHA(abc) signs SHA-512("abc")', () => {
    assert.equal(hex(RFC8032[3]!.message).length, 1023);
    assert.equal(RFC8032[4]!.message, createHash('sha512').update('abc').digest('hex'));
  });

  for (const v of RFC8032) {
    it(`${v.name}: public key, signature byte for byte, verification`, () => {
      const key = keyFromSeed(hex(v.secret));
      assert.equal(toHex(key.publicKey.raw), v.public, `${v.name}: public key`);
      const message = hex(v.message);
      assert.equal(toHex(signEd25519(key, message)), v.signature, `${v.name}: signature`);
      assert.equal(verifyEd25519(hex(v.public), message, hex(v.signature)), true, `${v.name}: verify`);
      assert.equal(verifyEd25519(key.publicKey, message, hex(v.signature)), true, `${v.name}: verify (key)`);
      const tampered = hex(v.signature);
      tampered[10]! ^= 1;
      assert.equal(verifyEd25519(hex(v.public), message, tampered), false, `${v.name}: tampered R`);
      const other = new Uint8Array([...message, 0]);
      assert.equal(verifyEd25519(hex(v.public), other, hex(v.signature)), false, `${v.name}: other message`);
    });
  }
});

interface WycheproofFile {
  numberOfTests: number;
  testGroups: Array<{
    publicKey: { pk: string };
    tests: Array<{ tcId: number; comment: string; msg: string; sig: string; result: 'valid' | 'invalid' }>;
  }>;
}

// A byte-for-byte copy of shared/vectors/wycheproof-ed25519.json (C2SP/wycheproof testvectors_v1/ed25519_test.json,
// Apache-2.0), kept in the repository so that the tests run on a fresh checkout.
const wycheproof = JSON.parse(
  readFileSync(join(ROOT, 'test', 'vectors', 'wycheproof-ed25519.json'), 'utf8'),
) as WycheproofFile;
const wycheproofCases = wycheproof.testGroups.flatMap((g) =>
  g.tests.map((t) => ({ pk: g.publicKey.pk, ...t })),
);

describe('Ed25519: Wycheproof ed25519_test.json', () => {
  it('has all 151 cases', () => {
    assert.equal(wycheproof.numberOfTests, 151);
    assert.equal(wycheproofCases.length, 151);
  });

  it('verifyEd25519 gives every case its expected verdict', () => {
    const failures: string[] = [];
    for (const t of wycheproofCases) {
      const got = verifyEd25519(hex(t.pk), hex(t.msg), hex(t.sig)) ? 'valid' : 'invalid';
      if (got !== t.result) failures.push(`tcId ${t.tcId} (${t.comment}): expected ${t.result}, got ${got}`);
    }
    assert.deepEqual(failures, []);
  });

  it('the second oracle, @noble/ed25519 with {zip215: false}, is as strict on every case', () => {
    // Its default (ZIP-215) accepts non-canonical encodings and small-order keys; only the RFC 8032 mode
    // is a fair comparison.
    const failures: string[] = [];
    for (const t of wycheproofCases) {
      let ok: boolean;
      try {
        ok = noble.verify(hex(t.sig), hex(t.msg), hex(t.pk), { zip215: false });
      } catch {
        ok = false;
      }
      if ((ok ? 'valid' : 'invalid') !== t.result) failures.push(`tcId ${t.tcId}: noble says ${ok}`);
    }
    assert.deepEqual(failures, []);
  });
});

describe('Ed25519: @noble/ed25519 as a second oracle', () => {
  it('signatures by node:crypto verify with noble, noble signatures verify here, forgeries fail in both', () => {
    for (let i = 0; i < 24; i++) {
      const seed = new Uint8Array(randomBytes(32));
      const key = keyFromSeed(seed);
      const message = new Uint8Array(randomBytes(i * 7));
      assert.equal(toHex(noble.getPublicKey(seed)), toHex(key.publicKey.raw), `case ${i}: public key`);

      const ours = signEd25519(key, message);
      const theirs = noble.sign(message, seed);
      // Pure Ed25519 is deterministic: both implementations must produce the very same bytes.
      assert.equal(toHex(ours), toHex(theirs), `case ${i}: signature bytes`);
      assert.equal(noble.verify(ours, message, key.publicKey.raw, { zip215: false }), true, `case ${i}`);
      assert.equal(verifyEd25519(key.publicKey.raw, message, theirs), true, `case ${i}`);

      const forged = new Uint8Array(ours);
      forged[i % 64]! ^= 1 << (i % 8);
      assert.equal(verifyEd25519(key.publicKey.raw, message, forged), false, `case ${i}: forged (ours)`);
      let nobleOk: boolean;
      try {
        nobleOk = noble.verify(forged, message, key.publicKey.raw, { zip215: false });
      } catch {
        nobleOk = false;
      }
      assert.equal(nobleOk, false, `case ${i}: forged (noble)`);
    }
  });

  it('agrees with noble on which random 32-byte strings are valid public keys', () => {
    let accepted = 0;
    for (let i = 0; i < 200; i++) {
      const bytes = new Uint8Array(randomBytes(32));
      let nobleValid: boolean;
      try {
        nobleValid = !noble.Point.fromBytes(bytes, false).isSmallOrder();
      } catch {
        nobleValid = false;
      }
      const oursValid = publicKeyProblem(bytes) === undefined;
      assert.equal(oursValid, nobleValid, `bytes ${toHex(bytes)}`);
      if (oursValid) accepted++;
    }
    // About half of all y values are on the curve; make sure both outcomes were exercised.
    assert.ok(accepted > 40 && accepted < 160, `accepted ${accepted} of 200`);
  });
});

/** The torsion subgroup, derived with noble: multiples of L*P for a point P with a component of order 8. */
function torsionPoints(): string[] {
  const { Point } = noble;
  const L = Point.CURVE().n;
  for (let i = 2; i < 64; i++) {
    let p: InstanceType<typeof Point>;
    try {
      p = Point.fromBytes(new Uint8Array(32).fill(i), false);
    } catch {
      continue;
    }
    const t = p.multiplyUnsafe(L - 1n).add(p); // L*P: only the torsion component survives
    if (t.double().double().is0()) continue; // need a generator of order 8
    const points: string[] = [];
    let q = Point.ZERO;
    for (let k = 0; k < 8; k++) {
      points.push(q.toHex());
      q = q.add(t);
    }
    return points;
  }
  throw new Error('no point with an order-8 component found');
}

describe('Ed25519: weak public keys', () => {
  const torsion = torsionPoints();

  it('the eight small-order points (derived with noble) are refused, though node:crypto accepts them', () => {
    assert.equal(new Set(torsion).size, 8);
    assert.ok(torsion.includes('0100000000000000000000000000000000000000000000000000000000000000'));
    for (const point of torsion) {
      const raw = hex(point);
      assert.equal(isSmallOrderEncoding(raw), true, point);
      assert.match(publicKeyProblem(raw) ?? '', /small order/, point);
    }
  });

  it('node:crypto verifies any message for the identity point; verifyEd25519 does not', () => {
    const identity = hex('0100000000000000000000000000000000000000000000000000000000000000');
    // R = identity, S = 0: R == S*B - h*A holds for every message when A is the identity.
    const signature = new Uint8Array([...identity, ...new Uint8Array(32)]);
    for (const message of ['anything', 'else']) {
      const bytes = new TextEncoder().encode(message);
      assert.equal(verify(null, bytes, publicKeyObject(identity), signature), true, 'the hazard is real');
      assert.equal(verifyEd25519(identity, bytes, signature), false);
    }
  });

  it('refuses non-canonical encodings: y >= p, and x = 0 with the sign bit set', () => {
    const nonCanonical = [
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p (that is, 0)
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p + 1 (the identity again)
      'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = 2^255 - 1
      '0100000000000000000000000000000000000000000000000000000000000080', // identity with x's sign bit
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', // (0, -1) with x's sign bit
    ];
    for (const encoding of nonCanonical) {
      const raw = hex(encoding);
      assert.equal(isCanonicalEncoding(raw), false, encoding);
      assert.match(publicKeyProblem(raw) ?? '', /non-canonical/, encoding);
      assert.throws(() => noble.Point.fromBytes(raw, false), `noble also refuses ${encoding}`);
    }
  });

  it('refuses keys that are not 32 bytes or not on the curve', () => {
    assert.match(publicKeyProblem(new Uint8Array(31)) ?? '', /31 bytes/);
    const offCurve = hex('0200000000000000000000000000000000000000000000000000000000000000');
    assert.throws(() => noble.Point.fromBytes(offCurve, false));
    assert.match(publicKeyProblem(offCurve) ?? '', /not a point on the Ed25519 curve/);
  });
});

describe('Ed25519: signature encodings', () => {
  const key = keyFromSeed(hex(RFC8032[1]!.secret));
  const message = hex('72');
  const good = hex(RFC8032[1]!.signature);

  it('rejects S >= L, even when S - L would verify', () => {
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(good[i]!);
    const sPlusL = s + L;
    const malleable = new Uint8Array(good);
    for (let i = 0; i < 32; i++) malleable[32 + i] = Number((sPlusL >> BigInt(8 * i)) & 0xffn);
    assert.ok(sPlusL < 2n ** 256n);
    assert.equal(verifyEd25519(key.publicKey, message, malleable), false);
    const sIsL = new Uint8Array(good);
    for (let i = 0; i < 32; i++) sIsL[32 + i] = Number((L >> BigInt(8 * i)) & 0xffn);
    assert.equal(verifyEd25519(key.publicKey, message, sIsL), false);
  });

  it('the byte comparisons agree with the arithmetic definitions of "canonical" and "S < L"', () => {
    const P = 2n ** 255n - 19n;
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const toLe = (n: bigint) => {
      const out = new Uint8Array(32);
      for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
      return out;
    };
    const fromLe = (b: Uint8Array) => b.reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n);
    const canonical = (b: Uint8Array) => {
      const y = fromLe(b) & (2n ** 255n - 1n);
      const sign = (b[31]! & 0x80) !== 0;
      return y < P && !(sign && (y === 1n || y === P - 1n));
    };
    // Numbers near the boundaries (p, L, 1, p - 1, 2^255) and anywhere, with and without x's sign bit.
    const near = (n: bigint) => fc.bigInt({ min: n - 300n, max: n + 300n });
    const number = fc.oneof(
      near(P),
      near(L),
      fc.bigInt({ min: 0n, max: 300n }),
      near(2n ** 255n - 1n),
      fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
    );
    const inRange = number.map((n) => (n < 0n ? -n : n) % 2n ** 256n);
    fc.assert(
      fc.property(inRange, fc.boolean(), (n, flip) => {
        const bytes = toLe(n);
        if (flip) bytes[31]! ^= 0x80;
        assert.equal(isCanonicalEncoding(bytes), canonical(bytes), toHex(bytes));
        assert.equal(isReducedScalar(toLe(n)), n < L, toHex(toLe(n)));
      }),
      { numRuns: 3000 },
    );
    assert.equal(isCanonicalEncoding(toLe(P - 1n)), true);
    assert.equal(isCanonicalEncoding(toLe(P)), false);
    assert.equal(isReducedScalar(toLe(L - 1n)), true);
    assert.equal(isReducedScalar(toLe(L)), false);
  });

  it('rejects a non-canonical R and signatures of the wrong length', () => {
    const badR = new Uint8Array(good);
    badR.set(hex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), 0);
    assert.equal(verifyEd25519(key.publicKey, message, badR), false);
    assert.equal(verifyEd25519(key.publicKey, message, good.subarray(0, 63)), false);
    assert.equal(verifyEd25519(key.publicKey, message, new Uint8Array([...good, 0])), false);
    assert.equal(verifyEd25519(new Uint8Array(31), message, good), false);
  });

  it('raw keys give the right verdicts across the key-object cache (more keys than it holds)', () => {
    const keys = Array.from({ length: 70 }, (_, i) => keyFromSeed(new Uint8Array(32).fill(i + 1)));
    const signatures = keys.map((k) => signEd25519(k, message));
    for (let round = 0; round < 2; round++) {
      keys.forEach((k, i) => {
        assert.equal(verifyEd25519(k.publicKey.raw, message, signatures[i]!), true, `key ${i}`);
        const other = keys[(i + 1) % keys.length]!;
        assert.equal(
          verifyEd25519(other.publicKey.raw, message, signatures[i]!),
          false,
          `key ${i} vs ${i + 1}`,
        );
      });
    }
  });

  it('a loaded key and its raw bytes give the same verdicts', () => {
    assert.equal(verifyEd25519(key.publicKey, message, good), true);
    assert.equal(verifyEd25519(key.publicKey.raw, message, good), true);
    const derived = createPublicKey(key.keyObject).export({ format: 'der', type: 'spki' }).subarray(12);
    assert.equal(toHex(derived), toHex(key.publicKey.raw));
  });
});

describe('Ed25519: the thread-pool form (verifyEd25519Async) is the same verifier', () => {
  it('gives every Wycheproof case the same verdict as verifyEd25519 (and the expected one)', async () => {
    const failures: string[] = [];
    for (const t of wycheproofCases) {
      const got = (await verifyEd25519Async(hex(t.pk), hex(t.msg), hex(t.sig))) ? 'valid' : 'invalid';
      const sync = verifyEd25519(hex(t.pk), hex(t.msg), hex(t.sig)) ? 'valid' : 'invalid';
      if (got !== t.result || got !== sync) {
        failures.push(`tcId ${t.tcId} (${t.comment}): expected ${t.result}, sync ${sync}, async ${got}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('verifies the RFC 8032 vectors with raw and loaded keys, refuses other messages', async () => {
    for (const v of RFC8032) {
      const key = keyFromSeed(hex(v.secret));
      const message = hex(v.message);
      assert.equal(await verifyEd25519Async(hex(v.public), message, hex(v.signature)), true, v.name);
      assert.equal(await verifyEd25519Async(key.publicKey, message, hex(v.signature)), true, v.name);
      const other = new Uint8Array([...message, 1]);
      assert.equal(await verifyEd25519Async(key.publicKey, other, hex(v.signature)), false, v.name);
    }
  });

  it('refuses the identity point, S >= L and wrong lengths, which OpenSSL alone would not all refuse', async () => {
    const identity = hex('0100000000000000000000000000000000000000000000000000000000000000');
    const forAnyMessage = new Uint8Array([...identity, ...new Uint8Array(32)]);
    assert.equal(await verifyEd25519Async(identity, hex('00'), forAnyMessage), false);
    const key = keyFromSeed(hex(RFC8032[1]!.secret));
    const good = hex(RFC8032[1]!.signature);
    const sIsL = new Uint8Array(good);
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    for (let i = 0; i < 32; i++) sIsL[32 + i] = Number((L >> BigInt(8 * i)) & 0xffn);
    assert.equal(await verifyEd25519Async(key.publicKey, hex('72'), good), true);
    assert.equal(await verifyEd25519Async(key.publicKey, hex('72'), sIsL), false);
    assert.equal(await verifyEd25519Async(key.publicKey, hex('72'), good.subarray(0, 63)), false);
    assert.equal(await verifyEd25519Async(new Uint8Array(31), hex('72'), good), false);
  });
});
