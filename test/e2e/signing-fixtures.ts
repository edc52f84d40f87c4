/** Bundles, keys and independent checkers (OpenSSL, GNU tar, GnuPG) for the keygen and sign tests. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { writeBundle } from '../../src/core/bundle/index.js';
import { writeStreamAtomic } from '../../src/io/atomic.js';

export const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export const IMAGE_DIGEST = 'b5f1c3a4d2e6f7081929a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8';

/** A small module: the wasm header and a custom section, so that different seeds give different bytes. */
export function moduleBytes(seed = 'dns-enum'): Buffer {
  const name = Buffer.from('aurion-test');
  const payload = Buffer.from(seed.repeat(40));
  const body = Buffer.concat([Buffer.from([name.length]), name, payload]);
  return Buffer.concat([
    Buffer.from('\0asm\x01\0\0\0', 'latin1'),
    Buffer.from([0, (body.length & 0x7f) | 0x80, body.length >> 7]),
    body,
  ]);
}

export interface TestBundle {
  readonly runtime?: 'wasm' | 'container';
  readonly module?: Buffer;
  /** Overrides the manifest's recorded module digest (to make a tampered bundle). */
  readonly declaredSha256?: string;
  readonly signatureEd25519?: Uint8Array;
  readonly signatureAsc?: Uint8Array;
}

export function manifestFor(spec: TestBundle): Buffer {
  const base = {
    schema_version: 1,
    name: 'dns-enum',
    version: '1.2.0',
    description: 'Passive DNS enumeration',
    capabilities: ['PassiveEnum'],
    risk_class: 'Low',
  };
  const manifest =
    spec.runtime === 'container'
      ? {
          ...base,
          runtime: 'container',
          container: {
            image: `registry.example/org/tool@sha256:${IMAGE_DIGEST}`,
            user: '10001:10001',
            read_only_rootfs: true,
            seccomp_profile: 'runtime/default',
            apparmor_profile: 'runtime/default',
          },
        }
      : {
          ...base,
          runtime: 'wasm',
          module: {
            path: 'module.wasm',
            sha256: spec.declaredSha256 ?? sha256Hex(spec.module ?? moduleBytes()),
            size: (spec.module ?? moduleBytes()).length,
          },
        };
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}

/** Writes a bundle with the project's real writer. */
export async function writeTestBundle(path: string, spec: TestBundle = {}): Promise<string> {
  const module = spec.runtime === 'container' ? undefined : (spec.module ?? moduleBytes());
  await writeStreamAtomic(path, async (out) => {
    await writeBundle(out, {
      manifestBytes: manifestFor(spec),
      mtime: 0,
      ...(module === undefined
        ? {}
        : { module: { size: module.length, open: () => Readable.from([module]) } }),
      ...(spec.signatureEd25519 === undefined ? {} : { signatureEd25519: spec.signatureEd25519 }),
      ...(spec.signatureAsc === undefined ? {} : { signatureAsc: spec.signatureAsc }),
    });
  });
  return path;
}

/** Extracts a bundle with GNU tar (an independent reader) into a fresh folder; returns entry name -> bytes. */
export async function extract(bundle: string, parent: string): Promise<Map<string, Buffer>> {
  const dir = await mkdtemp(join(parent, 'x-'));
  execFileSync('tar', ['-xzf', bundle, '-C', dir]);
  const entries = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) entries.set(name, await readFile(join(dir, name)));
  return entries;
}

/** OpenSSL as the independent verifier: `pkeyutl -verify -rawin` over the raw message bytes. */
export async function opensslVerifies(
  publicKeyFile: string,
  message: Uint8Array,
  signature: Uint8Array,
  dir: string,
): Promise<boolean> {
  const work = await mkdtemp(join(dir, 'ossl-'));
  await writeFile(join(work, 'digest.bin'), message);
  await writeFile(join(work, 'sig.bin'), signature);
  const r = spawnSync('openssl', [
    'pkeyutl',
    '-verify',
    '-pubin',
    '-inkey',
    publicKeyFile,
    '-rawin',
    '-in',
    join(work, 'digest.bin'),
    '-sigfile',
    join(work, 'sig.bin'),
  ]);
  return r.status === 0 && r.stdout.toString().includes('Signature Verified Successfully');
}

/** Checks a signed bundle end to end with tar and OpenSSL: both signatures of the envelope, both digests. */
export async function assertEd25519SignedBy(
  bundle: string,
  publicKeyFile: string,
  dir: string,
  imageDigest = IMAGE_DIGEST,
) {
  const entries = await extract(bundle, dir);
  const envelope = JSON.parse(entries.get('signature.ed25519')!.toString('utf8'));
  const manifest = entries.get('manifest.json')!;
  assert.equal(envelope.manifest_sha256, sha256Hex(manifest));
  if (entries.has('module.wasm')) {
    assert.equal(envelope.subject.kind, 'wasm-module');
    assert.equal(envelope.subject.sha256, sha256Hex(entries.get('module.wasm')!));
  } else {
    assert.equal(envelope.subject.kind, 'container-image');
    assert.equal(envelope.subject.sha256, imageDigest);
  }
  const subjectOk = await opensslVerifies(
    publicKeyFile,
    Buffer.from(envelope.subject.sha256, 'hex'),
    Buffer.from(envelope.signature, 'base64'),
    dir,
  );
  const manifestOk = await opensslVerifies(
    publicKeyFile,
    Buffer.from(envelope.manifest_sha256, 'hex'),
    Buffer.from(envelope.manifest_signature, 'base64'),
    dir,
  );
  assert.ok(subjectOk, 'OpenSSL verifies the subject signature');
  assert.ok(manifestOk, 'OpenSSL verifies the manifest signature');
  return { envelope, entries };
}

/** A fresh GnuPG home for one test (no agent is needed to import public keys and verify). */
export async function gnupgHome(dir: string): Promise<string> {
  const home = join(dir, 'gnupg');
  await mkdir(home, { mode: 0o700 });
  return home;
}

export function gpg(home: string, args: string[]) {
  return spawnSync('gpg', ['--homedir', home, '--batch', '--no-tty', ...args], { encoding: 'utf8' });
}

export function gpgconf(home: string, args: string[]) {
  return spawnSync('gpgconf', args, { encoding: 'utf8', env: { ...process.env, GNUPGHOME: home } });
}

/** Files in a folder other than the given ones: to show that nothing (not even a temporary file) was left. */
export async function extraFiles(dir: string, expected: readonly string[]): Promise<string[]> {
  return (await readdir(dir)).filter((f) => !expected.includes(f)).sort();
}
