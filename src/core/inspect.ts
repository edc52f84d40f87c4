/**
 * inspectContents: every fact an auditor needs about a bundle (SPEC §7), from the one bundle reader's
 * contents and the scanned module (src/ops/inspect.ts streams the module through the scanner while it is hashed). With trust material the
 * verdict comes from verify.ts on the same contents, so inspect and verify cannot disagree.
 */

import { createHash } from 'node:crypto';
import { AurionError } from '../errors.js';
import type { BundleContents } from './bundle/entries.js';
import { parseEnvelope, subjectOf } from './envelope.js';
import { effectiveRiskClass, type TrustPolicy } from './policy.js';
import {
  CAPABILITY_RISK,
  type Capability,
  type Manifest,
  type RiskClass,
  requiresAuthorization,
} from './types.js';
import { type VerifyResult, verifyContents } from './verify.js';
import { nondeterministicImports, type WasmInfo } from './wasm.js';

/** The runtime's defaults, which are also the maxima a manifest may declare (SPEC §3, plugin model). */
export const RUNTIME_DEFAULT_LIMITS = { memory_mib: 64, timeout_seconds: 300 } as const;
const WASM_PAGE = 64 * 1024;

export interface CapabilityFacts {
  readonly name: Capability;
  readonly risk_class: RiskClass;
  readonly requires_authorization: boolean;
}

export interface MemoryFacts {
  readonly initial_pages: number;
  readonly initial_mib: number;
  readonly maximum_pages: number | null;
  readonly maximum_mib: number | null;
  readonly imported: boolean;
  readonly memory64: boolean;
  readonly shared: boolean;
}

export interface WasmRuntimeFacts {
  readonly kind: 'wasm';
  readonly module: {
    readonly path: string;
    readonly size: number;
    readonly sha256: string;
    /** The data's digest equals the one in manifest.json. */
    readonly digest_matches_manifest: boolean;
    readonly imports: WasmInfo['imports'];
    readonly exports: WasmInfo['exports'];
    readonly memories: readonly MemoryFacts[];
    readonly custom_sections: WasmInfo['customSections'];
    /** WASI functions whose results differ from run to run (clocks, random), which plugins should avoid. */
    readonly nondeterministic_imports: readonly string[];
  };
  readonly host_imports: readonly string[];
  readonly limits: {
    readonly memory_mib: number;
    readonly timeout_seconds: number;
    readonly declared: boolean;
  };
}

export interface ContainerRuntimeFacts {
  readonly kind: 'container';
  readonly image: string;
  readonly repository: string;
  readonly digest: string;
  readonly user: string;
  readonly read_only_rootfs: boolean;
  readonly seccomp_profile: string;
  readonly apparmor_profile: string;
  readonly env: readonly string[];
  readonly limits: {
    readonly memory_mib: number;
    readonly timeout_seconds: number;
    readonly declared: boolean;
  };
}

export type SignatureFacts =
  | {
      readonly file: 'signature.ed25519';
      readonly algorithm: 'ed25519';
      readonly key_id: string;
      readonly subject: { readonly kind: string; readonly sha256: string };
      readonly subject_matches_bundle: boolean;
      readonly manifest_sha256: string;
      readonly manifest_matches_bundle: boolean;
    }
  | {
      readonly file: 'signature.asc';
      readonly algorithm: 'openpgp';
      readonly key_id: string | null;
      readonly fingerprint: string | null;
      readonly created: string | null;
      readonly hash: string | null;
      readonly mode: 'binary' | 'text' | 'other';
    }
  | {
      readonly file: 'signature.ed25519' | 'signature.asc';
      readonly algorithm: 'ed25519' | 'openpgp';
      readonly unreadable: { readonly code: string; readonly message: string };
    };

/** aurion.plugin.v1.PluginInfo in the proto3 JSON mapping (specs/plugin.proto). */
export interface PluginInfoJson {
  name?: string;
  version?: string;
  capabilities?: string[];
  description?: string;
}
/** aurion.plugin.v1.RegisterRequest in the proto3 JSON mapping. */
export interface RegisterRequestJson {
  info?: PluginInfoJson;
  supportedScopes?: string[];
}

export interface InspectReport {
  readonly bundle: string;
  readonly size: number;
  readonly sha256: string;
  readonly manifest: Manifest;
  readonly name: string;
  readonly version: string;
  readonly description: string | null;
  readonly risk_class: RiskClass;
  /** With trust material: the administrators' override where one exists; else the manifest's class. */
  readonly effective_risk_class: RiskClass;
  readonly requires_authorization: boolean;
  readonly capabilities: readonly CapabilityFacts[];
  readonly supported_scopes: readonly string[];
  readonly runtime: WasmRuntimeFacts | ContainerRuntimeFacts;
  readonly signatures: readonly SignatureFacts[];
  /** Present when trust material was given. */
  readonly verification?: VerifyResult;
  readonly plugin_info: PluginInfoJson;
  readonly register_request: RegisterRequestJson;
}

export interface InspectOptions {
  readonly trust?: TrustPolicy | undefined;
  readonly now?: Date;
  readonly maxModuleSize?: number;
  /** Compressed bytes of the bundle read so far, out of its file size (progress display). */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/**
 * proto3 JSON of PluginInfo. Like protobuf's canonical printer, fields holding their default value (empty
 * string, empty list) are omitted, so a manifest without a description yields no `description` key.
 */
export function pluginInfoJson(manifest: Manifest): PluginInfoJson {
  const info: PluginInfoJson = {};
  if (manifest.name !== '') info.name = manifest.name;
  if (manifest.version !== '') info.version = manifest.version;
  if (manifest.capabilities.length > 0) info.capabilities = [...manifest.capabilities];
  if (manifest.description !== undefined && manifest.description !== '')
    info.description = manifest.description;
  return info;
}

/** proto3 JSON of RegisterRequest: `supported_scopes` becomes `supportedScopes`; empty lists are omitted. */
export function registerRequestJson(manifest: Manifest): RegisterRequestJson {
  const request: RegisterRequestJson = {};
  // A message field is present whenever it is set, even when all its fields are default.
  request.info = pluginInfoJson(manifest);
  const scopes = manifest.supported_scopes ?? [];
  if (scopes.length > 0) request.supportedScopes = [...scopes];
  return request;
}

function limitsOf(manifest: Manifest) {
  return {
    memory_mib: manifest.limits?.memory_mib ?? RUNTIME_DEFAULT_LIMITS.memory_mib,
    timeout_seconds: manifest.limits?.timeout_seconds ?? RUNTIME_DEFAULT_LIMITS.timeout_seconds,
    declared: manifest.limits !== undefined,
  };
}

function memoryFacts(info: WasmInfo): MemoryFacts[] {
  const mib = (pages: number) => (pages * WASM_PAGE) / (1024 * 1024);
  return info.memories.map((m) => ({
    initial_pages: m.initialPages,
    initial_mib: mib(m.initialPages),
    maximum_pages: m.maximumPages ?? null,
    maximum_mib: m.maximumPages === undefined ? null : mib(m.maximumPages),
    imported: m.imported,
    memory64: m.memory64,
    shared: m.shared,
  }));
}

function runtimeFacts(
  bundle: BundleContents,
  wasm: WasmInfo | undefined,
): WasmRuntimeFacts | ContainerRuntimeFacts {
  const { manifest } = bundle;
  if (manifest.runtime === 'container') {
    const c = manifest.container!;
    const at = c.image.lastIndexOf('@');
    return {
      kind: 'container',
      image: c.image,
      repository: c.image.slice(0, at),
      digest: c.image.slice(at + 1),
      user: c.user,
      read_only_rootfs: c.read_only_rootfs,
      seccomp_profile: c.seccomp_profile,
      apparmor_profile: c.apparmor_profile,
      env: c.env ?? [],
      limits: limitsOf(manifest),
    };
  }
  const module = bundle.module!;
  return {
    kind: 'wasm',
    module: {
      path: manifest.module?.path ?? 'module.wasm',
      size: module.size,
      sha256: module.sha256,
      digest_matches_manifest:
        module.sha256 === manifest.module?.sha256 && module.size === manifest.module?.size,
      imports: wasm!.imports,
      exports: wasm!.exports,
      memories: memoryFacts(wasm!),
      custom_sections: wasm!.customSections,
      nondeterministic_imports: nondeterministicImports(wasm!),
    },
    host_imports: manifest.host_imports ?? [],
    limits: limitsOf(manifest),
  };
}

function unreadable(file: 'signature.ed25519' | 'signature.asc', e: unknown): SignatureFacts {
  if (!(e instanceof AurionError)) throw e;
  return {
    file,
    algorithm: file === 'signature.asc' ? 'openpgp' : 'ed25519',
    unreadable: { code: e.code, message: e.message },
  };
}

function envelopeFacts(bundle: BundleContents): SignatureFacts {
  try {
    const envelope = parseEnvelope(bundle.signatureEd25519!, `${bundle.path}:signature.ed25519`);
    const expected = subjectOf(bundle);
    return {
      file: 'signature.ed25519',
      algorithm: 'ed25519',
      key_id: envelope.key_id,
      subject: { kind: envelope.subject.kind, sha256: envelope.subject.sha256 },
      subject_matches_bundle:
        envelope.subject.kind === expected.kind && envelope.subject.sha256 === expected.sha256,
      manifest_sha256: envelope.manifest_sha256,
      manifest_matches_bundle:
        envelope.manifest_sha256 === createHash('sha256').update(bundle.manifestBytes).digest('hex'),
    };
  } catch (e) {
    return unreadable('signature.ed25519', e);
  }
}

/**
 * What the armored signature says about itself (for display only; verification is pgp.ts's verifyDetached).
 * openpgp.js is loaded only for bundles that carry signature.asc.
 */
async function ascFacts(bundle: BundleContents): Promise<SignatureFacts> {
  const openpgp = await import('openpgp');
  let packet: InstanceType<typeof openpgp.SignaturePacket> | undefined;
  try {
    const signature = await openpgp.readSignature({
      armoredSignature: bundle.signatureAsc!.toString('utf8'),
    });
    packet = signature.packets[0];
  } catch (e) {
    return unreadable(
      'signature.asc',
      new AurionError(
        'SIGNATURE_INVALID',
        `${bundle.path}:signature.asc is not an armored OpenPGP signature: ${(e as Error).message}`,
      ),
    );
  }
  if (packet === undefined) {
    return unreadable(
      'signature.asc',
      new AurionError('SIGNATURE_INVALID', `${bundle.path}:signature.asc holds no signature packet`),
    );
  }
  const hash =
    packet.hashAlgorithm === null ? null : openpgp.enums.read(openpgp.enums.hash, packet.hashAlgorithm);
  const mode =
    packet.signatureType === openpgp.enums.signature.binary
      ? 'binary'
      : packet.signatureType === openpgp.enums.signature.text
        ? 'text'
        : 'other';
  const keyId = packet.issuerKeyID?.toHex() ?? null;
  return {
    file: 'signature.asc',
    algorithm: 'openpgp',
    key_id: keyId === '0000000000000000' ? null : keyId,
    fingerprint:
      packet.issuerFingerprint === null ? null : Buffer.from(packet.issuerFingerprint).toString('hex'),
    created: packet.created === null ? null : packet.created.toISOString(),
    hash: typeof hash === 'string' ? hash.toUpperCase() : null,
    mode,
  };
}

/** Builds the report of a bundle already read, given the scanned module (wasm bundles). */
export async function inspectContents(
  bundle: BundleContents,
  wasm: WasmInfo | undefined,
  options: InspectOptions = {},
): Promise<InspectReport> {
  const { manifest } = bundle;
  const signatures: SignatureFacts[] = [];
  if (bundle.signatureEd25519 !== undefined) signatures.push(envelopeFacts(bundle));
  if (bundle.signatureAsc !== undefined) signatures.push(await ascFacts(bundle));
  const verification =
    options.trust === undefined
      ? undefined
      : await verifyContents(bundle, options.trust, options.now === undefined ? {} : { now: options.now });
  return {
    bundle: bundle.path,
    size: bundle.size,
    sha256: bundle.sha256!,
    manifest,
    name: manifest.name,
    version: manifest.version,
    description: manifest.description ?? null,
    risk_class: manifest.risk_class,
    effective_risk_class:
      options.trust === undefined ? manifest.risk_class : effectiveRiskClass(options.trust, manifest),
    requires_authorization: manifest.capabilities.some((c) => requiresAuthorization(CAPABILITY_RISK[c])),
    capabilities: manifest.capabilities.map((name) => ({
      name,
      risk_class: CAPABILITY_RISK[name],
      requires_authorization: requiresAuthorization(CAPABILITY_RISK[name]),
    })),
    supported_scopes: manifest.supported_scopes ?? [],
    runtime: runtimeFacts(bundle, wasm),
    signatures,
    ...(verification === undefined ? {} : { verification }),
    plugin_info: pluginInfoJson(manifest),
    register_request: registerRequestJson(manifest),
  };
}
