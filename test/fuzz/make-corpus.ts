/**
 * Writes the generated seed corpus (test/fuzz/corpus/<target>/seed-*): valid inputs made from the test
 * fixtures, plus variants that reach rarer paths (PAX headers, GNU magic, base-256 sizes, gzip header flags,
 * several gzip members). Run by `npm run fuzz -- --make-corpus`; files not named seed-* (crash reproducers) are
 * kept. The Ed25519 key comes from a fixed seed and the writer is deterministic, so regenerating changes nothing
 * unless the generator (or the bundle format) changed, except the OpenPGP signature (openpgp.js salts it).
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { imageManifest } from '../../src/registry/oci-artifact.js';
import { signedWasmBundle, writeBundleFile } from '../fixtures/bundles.js';
import { sha256 } from '../fixtures/digest.js';
import { envelopeBytes, type TestKey } from '../fixtures/keys.js';
import {
  containerManifest,
  containerManifestValue,
  sourceManifest,
  wasmManifest,
} from '../fixtures/manifests.js';
import { TINY_WASM, VALID_WAT, wat } from '../fixtures/modules.js';
import { endOfArchive, entry, paxHeader, rawHeader } from '../fixtures/tar.js';
import { ROOT } from '../helpers.js';
import { CORPUS_DIR } from './engine.js';
import { PGP_SIGNED_DATA } from './targets.js';

/** An Ed25519 key from a fixed seed, so that regenerating the corpus changes only what the generator changes. */
function fixedKey(): TestKey {
  const seed = createHash('sha256').update('aurion-plugin fuzzing corpus').digest();
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ format: 'der', type: 'spki' });
  const raw = der.subarray(der.length - 32);
  return {
    privateKey,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    raw,
    keyId: sha256(raw).slice(0, 16),
  };
}

/** Features the scanner knows beyond the MVP: a shared memory, an exception tag, a 64-bit memory. */
const SHARED_WAT = `(module
  (import "env" "memory" (memory 1 2 shared))
  (tag $e (param i32))
  (export "e" (tag $e))
  (func (export "run")))`;
const MEMORY64_WAT = `(module (memory (export "memory") i64 1 2) (func (export "run")))`;

const RICH_WAT = `(module
  (type $t (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "env" "table" (table 1 funcref))
  (import "env" "g" (global i32))
  (memory (export "memory") 1 4)
  (global $counter (mut i32) (i32.const 0))
  (table 2 funcref)
  (elem (i32.const 0) $run)
  (data (i32.const 16) "hello")
  (func $run (export "run") (result i32) (i32.const 0))
  (func (type $t) (local.get 0))
  (export "counter" (global $counter))
  (start $init)
  (func $init))`;

/** A gzip member with the optional header fields SPEC-conforming readers must skip (RFC 1952 FLG bits). */
function gzipWithHeaderFields(data: Buffer): Buffer {
  const flags = 0x02 | 0x04 | 0x08 | 0x10; // FHCRC, FEXTRA, FNAME, FCOMMENT
  const head = Buffer.from([0x1f, 0x8b, 0x08, flags, 0, 0, 0, 0, 0x00, 0x03]);
  const extra = Buffer.from([4, 0, 0x41, 0x41, 0, 0]); // XLEN = 4, one empty subfield "AA"
  const name = Buffer.from('bundle.tar\0', 'latin1');
  const comment = Buffer.from('made by the fuzzing corpus\0', 'latin1');
  const header = Buffer.concat([head, extra, name, comment]);
  const hcrc = Buffer.alloc(2);
  hcrc.writeUInt16LE(crc32(header) & 0xffff);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length % 2 ** 32, 4);
  return Buffer.concat([header, hcrc, deflateRawSync(data), trailer]);
}

function write(target: string, files: Record<string, Uint8Array | string>): void {
  const dir = join(CORPUS_DIR, target);
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir)) if (old.startsWith('seed-')) rmSync(join(dir, old));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, `seed-${name}`), bytes);
}

export async function makeCorpus(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'aurion-corpus-'));
  try {
    const key = fixedKey();
    const signed = await signedWasmBundle(dir, key);
    const richModule = await wat(RICH_WAT);
    const validModule = await wat(VALID_WAT);
    const wabt = await (await import('wabt')).default();
    const featureModule = (text: string) => {
      const m = wabt.parseWat('features.wat', text, { threads: true, memory64: true, exceptions: true });
      try {
        return Buffer.from(m.toBinary({}).buffer);
      } finally {
        m.destroy();
      }
    };
    const shared = featureModule(SHARED_WAT);
    const memory64 = featureModule(MEMORY64_WAT);
    const container = containerManifest();
    const containerEnvelope = envelopeBytes(key, {
      kind: 'container-image',
      subjectSha256: 'a'.repeat(64),
      manifestBytes: container,
    });
    const containerPath = await writeBundleFile(join(dir, 'c.aurion'), {
      manifest: container,
      ed25519: containerEnvelope,
    });
    const ascPath = await writeBundleFile(join(dir, 'asc.aurion'), {
      manifest: container,
      asc: Buffer.from('-----BEGIN PGP SIGNATURE-----\n\nwl4EABYKAAYFAmc=\n-----END PGP SIGNATURE-----\n'),
    });
    const unsignedPath = await writeBundleFile(join(dir, 'u.aurion'), {
      manifest: wasmManifest(validModule),
      module: validModule,
    });
    const bundles = {
      'wasm-signed.aurion': await readFile(signed.path),
      'container-signed.aurion': await readFile(containerPath),
      'container-asc.aurion': await readFile(ascPath),
      'wasm-unsigned.aurion': await readFile(unsignedPath),
    };
    const tars = Object.fromEntries(
      Object.entries(bundles).map(([n, b]) => [n.replace(/\.aurion$/, '.tar'), gunzipSync(b)]),
    );
    const manifest = wasmManifest(TINY_WASM);
    const handmade = {
      'pax.tar': Buffer.concat([
        paxHeader([
          ['path', 'manifest.json'],
          ['mtime', '1700000000.5'],
          ['comment', 'x'],
        ]),
        entry('ignored-name', manifest),
        entry('module.wasm', TINY_WASM, { magic: 'gnu' }),
        endOfArchive(),
      ]),
      'base256-size.tar': Buffer.concat([
        rawHeader({
          name: 'module.wasm',
          size: Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, TINY_WASM.length]),
        }),
        TINY_WASM,
        Buffer.alloc(512 - TINY_WASM.length),
        entry('manifest.json', manifest, { prefix: '' }),
        endOfArchive(),
      ]),
      'symlink.tar': Buffer.concat([
        entry('manifest.json', '', { typeflag: '2', linkname: '/etc/passwd' }),
        endOfArchive(),
      ]),
    };
    write('bundle', bundles);
    write('bundle-tar', { ...tars, ...handmade });
    write('tar', { ...tars, ...handmade });
    const smallTar = tars['container-signed.tar']!;
    write('gzip', {
      'plain.gz': gzipSync(smallTar),
      'header-fields.gz': gzipWithHeaderFields(smallTar),
      'two-members.gz': Buffer.concat([
        gzipSync(smallTar.subarray(0, 700)),
        gzipSync(smallTar.subarray(700)),
      ]),
      'stored.gz': gzipSync(smallTar, { level: 0 }),
      'trailing-zeros.gz': Buffer.concat([gzipSync(smallTar), Buffer.alloc(16)]),
    });
    write('wasm', {
      'tiny.wasm': TINY_WASM,
      'valid.wasm': validModule,
      'rich.wasm': richModule,
      'shared.wasm': shared,
      'memory64.wasm': memory64,
    });
    write('manifest', {
      'source-wasm.json': `${JSON.stringify(sourceManifest(), null, 2)}\n`,
      'source-container.json': `${JSON.stringify(containerManifestValue(), null, 2)}\n`,
      'bundle-wasm.json': manifest,
      'bundle-container.json': container,
    });
    write('envelope', { 'wasm.json': signed.envelope, 'container.json': containerEnvelope });
    const pgpPublic = readFileSync(join(ROOT, 'keys-example', 'example.pgp.pub'), 'utf8');
    const pgp = await import('../../src/core/pgp/index.js');
    const [pgpKey] = await pgp.loadPgpPublicKeys(pgpPublic, 'keys-example/example.pgp.pub');
    write('policy', {
      'ed25519.json': `${JSON.stringify(
        {
          schema_version: 1,
          keys: [
            {
              key_id: key.keyId,
              name: 'release',
              public_key: key.publicPem,
              max_risk_class: 'Medium',
              plugins: ['dns-*'],
              expires: '2030-01-01T00:00:00Z',
            },
          ],
          revoked: ['0123456789abcdef'],
          risk_class_overrides: { 'dns-enum': 'High' },
        },
        null,
        2,
      )}\n`,
      'openpgp.json': `${JSON.stringify(
        { schema_version: 1, pgp_keys: [{ fingerprint: pgpKey!.fingerprint, public_key: pgpPublic }] },
        null,
        2,
      )}\n`,
      'key-file.json': `${JSON.stringify({ schema_version: 1, keys: [{ key_id: key.keyId, public_key_file: 'k.pub' }] })}\n`,
    });
    const pgpPrivate = await pgp.loadPgpPrivateKey(
      readFileSync(join(ROOT, 'keys-example', 'example.pgp.key')),
      undefined,
      'keys-example/example.pgp.key',
      new Date('2026-12-01T00:00:00Z'),
    );
    write('pgp-signature', {
      'signature.asc': await pgp.signDetached(pgpPrivate, PGP_SIGNED_DATA, new Date('2026-12-01T00:00:00Z')),
    });
    write('registry-refusal', {
      'oci-errors.json':
        '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied","detail":null}]}',
      'token-error.json': '{"error":"invalid_grant","error_description":"bad credentials"}',
      'text.txt': 'Service Unavailable\r\n',
    });
    write('lock-owner', {
      'owner.json': `${JSON.stringify({ pid: 4242, hostname: 'build-7', created_at: '2026-11-27T10:00:00.000Z', token: '0123456789abcdef0123456789abcdef' })}\n`,
    });
    write('registry-index', {
      'two-plugins.json': `${JSON.stringify(
        {
          schema_version: 1,
          plugins: {
            'dns-enum': {
              '1.2.0': {
                sha256: sha256(bundles['wasm-signed.aurion']),
                size: bundles['wasm-signed.aurion'].length,
                risk_class: 'Low',
                capabilities: ['PassiveEnum'],
                runtime: 'wasm',
                key_id: key.keyId,
                published_at: '2026-11-27T10:00:00Z',
              },
            },
            'port-scan': {
              '0.3.0-rc.1+build.5': {
                sha256: 'b'.repeat(64),
                size: 1234,
                risk_class: 'Medium',
                capabilities: ['PortScan'],
                runtime: 'container',
                fingerprint: pgpKey!.fingerprint,
                published_at: '2026-11-28T10:00:00Z',
              },
            },
          },
        },
        null,
        2,
      )}\n`,
    });
    write('oci-manifest', {
      'plugin.json': imageManifest({
        name: 'dns-enum',
        version: '1.2.0',
        manifestBytes: manifest,
        bundle: { path: signed.path, sha256: sha256(bundles['wasm-signed.aurion']), size: 1234 },
      }),
      'config-type-only.json': JSON.stringify({
        schemaVersion: 2,
        config: {
          mediaType: 'application/vnd.aurion.plugin.manifest.v1+json',
          digest: `sha256:${'c'.repeat(64)}`,
          size: 10,
        },
        layers: [
          {
            mediaType: 'application/vnd.aurion.plugin.bundle.v1.tar+gzip',
            digest: `sha256:${'d'.repeat(64)}`,
            size: 99,
          },
        ],
      }),
      'index.json': JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: `sha256:${'e'.repeat(64)}`,
            size: 5,
          },
        ],
      }),
    });
    write('oci-token', {
      'token.json':
        '{"token":"eyJhbGciOiJFUzI1NiJ9.e30.sig","expires_in":300,"issued_at":"2026-11-27T10:00:00Z"}',
      'access-token.json': '{"access_token":"abc123","token":""}',
    });
    write('www-authenticate', {
      'bearer.txt':
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:org/dns-enum:pull"',
      'basic.txt': 'Basic realm="Registry Realm", charset="UTF-8"',
      'several.txt':
        'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple", Bearer token68abc==',
      'error.txt':
        'Bearer realm="https://auth.example/token",error="insufficient_scope",scope="repository:a/b:pull,push"',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
