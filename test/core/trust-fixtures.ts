/**
 * Fixtures for verify/inspect/policy tests: Ed25519 keys and envelopes made with node:crypto directly (not
 * with the project's signer, so the verifier is checked against an independent producer), a tiny valid
 * WebAssembly module, manifests, and bundles written by the project's writer.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { writeBundle } from '../../src/core/bundle/index.js';
import type { Manifest } from '../../src/core/types.js';

export interface TestKey {
  readonly privateKey: KeyObject;
  readonly publicPem: string;
  readonly privatePem: string;
  readonly raw: Buffer;
  readonly keyId: string;
}

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export function ed25519Key(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
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

/** An SPKI PEM for any 32 raw bytes (e.g. a small-order point that no key generator would produce). */
export function spkiPemOfRaw(raw: Uint8Array): string {
  const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
  const b64 = der.toString('base64');
  return `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----\n`;
}

/** A valid module: `run` exported, one memory of 1 page (max 2) exported as `memory`, a custom section. */
export const TINY_WASM = Buffer.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  // type section: 1 type, func () -> ()
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
  // function section: 1 function of type 0
  0x03, 0x02, 0x01, 0x00,
  // memory section: 1 memory, min 1 max 2
  0x05, 0x04, 0x01, 0x01, 0x01, 0x02,
  // export section: "run" func 0, "memory" memory 0
  0x07, 0x10, 0x02, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x00, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00,
  // code section: 1 body of 2 bytes: no locals, end
  0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
  // custom section "producers" with 2 payload bytes
  0x00, 0x0c, 0x09, 0x70, 0x72, 0x6f, 0x64, 0x75, 0x63, 0x65, 0x72, 0x73, 0xaa, 0xbb,
]);

export const IMAGE_DIGEST = 'a'.repeat(64);

export interface ManifestFields {
  readonly [key: string]: unknown;
}

const CAP_RISK: Record<string, string> = {
  PassiveEnum: 'Low',
  PortScan: 'Medium',
  VulnerabilityScan: 'High',
  Fuzz: 'High',
};

function riskOf(capabilities: readonly string[]): string {
  const order = ['Low', 'Medium', 'High'];
  return capabilities.map((c) => CAP_RISK[c]!).sort((a, b) => order.indexOf(b) - order.indexOf(a))[0]!;
}

/** A parsed manifest for code that only reads its fields (policy rules, inspect facts). */
export function manifestValue(fields: Partial<Manifest> | Record<string, unknown> = {}): Manifest {
  return {
    schema_version: 1,
    name: 'dns-enum',
    version: '1.2.0',
    capabilities: ['PassiveEnum'],
    risk_class: 'Low',
    runtime: 'wasm',
    ...fields,
  } as Manifest;
}

/** manifest.json bytes of a wasm bundle holding `module`. */
export function wasmManifest(module: Uint8Array, fields: ManifestFields = {}): Buffer {
  const capabilities = (fields['capabilities'] as string[] | undefined) ?? ['PassiveEnum'];
  const manifest = {
    schema_version: 1,
    name: 'dns-enum',
    version: '1.2.0',
    description: 'Passive DNS enumeration',
    capabilities,
    risk_class: riskOf(capabilities),
    supported_scopes: ['*.example.com'],
    runtime: 'wasm',
    module: { path: 'module.wasm', sha256: sha256(module), size: module.length },
    ...fields,
  };
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}

/** manifest.json bytes of a container bundle. */
export function containerManifest(fields: ManifestFields = {}): Buffer {
  const capabilities = (fields['capabilities'] as string[] | undefined) ?? ['PortScan'];
  const manifest = {
    schema_version: 1,
    name: 'port-scan',
    version: '0.3.0',
    capabilities,
    risk_class: riskOf(capabilities),
    runtime: 'container',
    container: {
      image: `registry.example/org/port-scan@sha256:${IMAGE_DIGEST}`,
      user: '10001:10001',
      read_only_rootfs: true,
      seccomp_profile: 'runtime/default',
      apparmor_profile: 'runtime/default',
      env: ['API_TOKEN'],
    },
    ...fields,
  };
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}

export interface EnvelopeParts {
  readonly kind: 'wasm-module' | 'container-image';
  readonly subjectSha256: string;
  readonly manifestBytes: Uint8Array;
  /** Override the key id written into the envelope (e.g. a trusted id on another key's signature). */
  readonly keyId?: string;
  /** Override the manifest digest written (and signed). */
  readonly manifestSha256?: string;
}

/** A signature.ed25519 envelope signed with node:crypto (pure Ed25519 over the 32 raw digest bytes). */
export function envelopeObject(key: TestKey, parts: EnvelopeParts): Record<string, unknown> {
  const manifestSha256 = parts.manifestSha256 ?? sha256(parts.manifestBytes);
  return {
    schema_version: 1,
    algorithm: 'ed25519',
    key_id: parts.keyId ?? key.keyId,
    subject: { kind: parts.kind, sha256: parts.subjectSha256 },
    signature: sign(null, Buffer.from(parts.subjectSha256, 'hex'), key.privateKey).toString('base64'),
    manifest_sha256: manifestSha256,
    manifest_signature: sign(null, Buffer.from(manifestSha256, 'hex'), key.privateKey).toString('base64'),
  };
}

export function envelopeBytes(key: TestKey, parts: EnvelopeParts): Buffer {
  return Buffer.from(`${JSON.stringify(envelopeObject(key, parts), null, 2)}\n`);
}

export interface BundleParts {
  readonly manifest: Uint8Array;
  readonly module?: Uint8Array;
  readonly ed25519?: Uint8Array;
  readonly asc?: Uint8Array;
}

/** Writes a bundle with the project's writer (the reference producer). */
export async function writeBundleFile(path: string, parts: BundleParts): Promise<string> {
  const module = parts.module;
  await writeBundle(createWriteStream(path), {
    manifestBytes: parts.manifest,
    ...(module === undefined ? {} : { module: { size: module.length, open: () => Readable.from([module]) } }),
    ...(parts.ed25519 === undefined ? {} : { signatureEd25519: parts.ed25519 }),
    ...(parts.asc === undefined ? {} : { signatureAsc: parts.asc }),
    mtime: 0,
  });
  return path;
}

/** A signed wasm bundle in `dir`, its key, and the parts it was made of. */
export async function signedWasmBundle(
  dir: string,
  key: TestKey,
  options: { name?: string; fields?: ManifestFields; module?: Buffer } = {},
): Promise<{ path: string; manifest: Buffer; module: Buffer; envelope: Buffer }> {
  const module = options.module ?? TINY_WASM;
  const manifest = wasmManifest(module, options.fields);
  const envelope = envelopeBytes(key, {
    kind: 'wasm-module',
    subjectSha256: sha256(module),
    manifestBytes: manifest,
  });
  const path = await writeBundleFile(join(dir, options.name ?? 'dns-enum-1.2.0.aurion'), {
    manifest,
    module,
    ed25519: envelope,
  });
  return { path, manifest, module, envelope };
}

export async function writePem(dir: string, name: string, pem: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, pem);
  return path;
}

/** Every path under `dir` (files and folders), sorted: to show that a command wrote nothing. */
export async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}
