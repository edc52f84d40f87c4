/**
 * publishBundle and pullBundle (SPEC §7): the registry side of the tool, for directory and OCI registries.
 *
 * publish verifies first, with the one bundle reader and the one verifier, and stores nothing unless the bundle
 * passes every trust source that applies: a directory registry's own trust-policy.json (always, when the
 * registry has one) and the caller's trust flags (when given). Each is evaluated on its own, so flags can only
 * add requirements, never lift one of the registry's. Verification comes before any registry look-up, so a
 * failing bundle is reported as such even when its version exists (VERSION_EXISTS only for bundles that pass).
 *
 * pull writes the bundle to a temporary file beside the output, checks its digest against the one the registry
 * recorded (directory index or OCI manifest) while copying and, when trust material is given, verifies the same
 * bytes in the same pass (registry/transfer.ts copyAndScan); a digest mismatch is reported as such whatever the
 * verification made of the bytes. Only then is the file renamed into place (io/atomic.ts writeStaged: a linked
 * output's target is replaced, a device or FIFO output is written into after the checks).
 */
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { BundleContents } from '../core/bundle/index.js';
import type { TrustPolicy } from '../core/policy.js';
import { type VerifyResult, verifyContents } from '../core/verify.js';
import { parsePluginQuery } from '../core/versions.js';
import { AurionError, EXIT_CODE_OF } from '../errors.js';
import { writeStaged } from '../io/atomic.js';
import { readBundle } from '../io/bundle-file.js';
import { bundleFileName } from '../registry/directory.js';
import {
  type OpenRegistryOptions,
  openRegistry,
  type PluginRegistry,
  type RegistryTrust,
} from '../registry/registry.js';
import { verifyBundleStream } from './verify.js';

/** What a long step reports: reading (verifying) a bundle, or moving its bytes to or from a registry. */
export type ProgressPhase = 'verify' | 'transfer';

export interface RegistryOptions extends OpenRegistryOptions {
  /** `--registry`: a folder, a file:// URL, or oci://HOST[:PORT]/NAMESPACE. */
  readonly registry: string;
  /** The trust flags' policy; undefined when none were given. */
  readonly trust?: TrustPolicy;
  /** Key expiry is judged at this instant; also the publish time recorded in index.json (default: now). */
  readonly now?: Date;
  readonly maxModuleSize?: number;
  readonly onProgress?: (phase: ProgressPhase, done: number, total: number) => void;
}

export interface PublishResult {
  readonly name: string;
  readonly version: string;
  /** The registry as given. */
  readonly registry: string;
  /** SHA-256 of the bundle file. */
  readonly sha256: string;
  readonly size: number;
  /** false: these exact bytes were already published under that name and version. */
  readonly changed: boolean;
  /** Who signed it: the signer that passed (the registry policy's, when it has one). */
  readonly signer: { readonly key_id: string } | { readonly fingerprint: string };
  /** Directory registry: where the bundle is stored. */
  readonly path?: string;
  /** OCI registry: `host[:port]/repository:tag` and the image manifest digest. */
  readonly reference?: string;
  readonly digest?: string;
}

export interface PullOptions extends RegistryOptions {
  /** Output file (default `./<name>-<version>.aurion`), replaced atomically. */
  readonly output?: string;
}

export interface PullResult {
  readonly name: string;
  /** The version resolved from NAME, NAME@VERSION or NAME@RANGE. */
  readonly version: string;
  /** true: resolved and checked through the registry's TUF metadata (SPEC §11). */
  readonly signed: boolean;
  readonly registry: string;
  /** The file written. */
  readonly bundle: string;
  readonly sha256: string;
  readonly size: number;
  /** The verification result, when trust material was given. */
  readonly verification?: VerifyResult;
  readonly reference?: string;
  readonly digest?: string;
}

/** Verifies a bundle against every trust source that applies, then stores it in the registry. */
export async function publishBundle(bundlePath: string, options: RegistryOptions): Promise<PublishResult> {
  const registry = openRegistry(options.registry, options);
  try {
    const sources: RegistryTrust[] = [];
    const own = await registry.ownTrust();
    if (own !== undefined) sources.push(own);
    if (options.trust !== undefined) sources.push({ label: 'the trust flags', policy: options.trust });
    const now = options.now ?? new Date();

    const bundle = await readBundle(bundlePath, {
      hashBundle: true,
      ...(options.maxModuleSize === undefined ? {} : { maxModuleSize: options.maxModuleSize }),
      ...(options.onProgress === undefined
        ? {}
        : { onProgress: (done: number, total: number) => options.onProgress?.('verify', done, total) }),
    });
    if (sources.length === 0) throw noTrust(registry, bundle);
    let signer: VerifyResult['signer'] = null;
    for (const source of sources) {
      const result = await verifyContents(bundle, source.policy, { now });
      if (!result.ok) throw verificationFailed(bundlePath, result, source.label);
      signer ??= result.signer;
    }
    const sha256 = bundle.sha256!;
    const { manifest } = bundle;
    const signerId =
      signer!.algorithm === 'ed25519' ? { key_id: signer!.key_id } : { fingerprint: signer!.fingerprint };
    const stored = await registry.publish(
      bundlePath,
      {
        name: manifest.name,
        version: manifest.version,
        sha256,
        size: bundle.size,
        risk_class: manifest.risk_class,
        capabilities: manifest.capabilities,
        runtime: manifest.runtime,
        signer: signerId,
        manifestBytes: bundle.manifestBytes,
      },
      {
        now,
        ...(options.onProgress === undefined
          ? {}
          : { onProgress: (done: number) => options.onProgress?.('transfer', done, bundle.size) }),
      },
    );
    return {
      name: manifest.name,
      version: manifest.version,
      registry: options.registry,
      sha256,
      size: bundle.size,
      signer: signerId,
      ...stored,
    };
  } finally {
    await registry.close();
  }
}

/**
 * Fetches NAME, NAME@VERSION or NAME@RANGE (SPEC §11 resolution), checks it against the registry's digest (the
 * signed one with TUF), verifies it when trust is given, writes it.
 */
export async function pullBundle(spec: string, options: PullOptions): Promise<PullResult> {
  const { name: wanted, query } = parsePluginQuery(spec);
  const registry = openRegistry(options.registry, options);
  try {
    const { name, version, signed } = await registry.resolve(wanted, query);
    const output = resolve(options.output ?? bundleFileName(name, version));
    const onTransfer = (done: number, total: number) => options.onProgress?.('transfer', done, total);
    // The bundle is downloaded to a temporary file and, with trust flags, verified in the same pass (the bytes
    // written are the bytes verified); it becomes the output only once its digest and verification passed.
    const trust = options.trust;
    const verifyOptions = {
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.maxModuleSize === undefined ? {} : { maxModuleSize: options.maxModuleSize }),
    };
    return await writeStaged(output, async (tmp) => {
      const fetched = await registry.fetch(name, version, tmp, {
        output,
        onProgress: onTransfer,
        onScanProgress: (done, total) => options.onProgress?.('verify', done, total),
        ...(trust === undefined
          ? {}
          : {
              scan: (bytes: Readable, size: number) =>
                verifyBundleStream(output, bytes, size, trust, verifyOptions),
            }),
      });
      const verification = fetched.scanned;
      if (verification !== undefined) {
        if (!verification.ok) throw verificationFailed(output, verification, 'the trust flags');
        const plugin = verification.plugin!;
        if (plugin.name !== name || plugin.version !== version) {
          throw new AurionError(
            'REGISTRY_ERROR',
            `registry ${options.registry} served ${plugin.name}@${plugin.version} for ${name}@${version}`,
            { hint: 'the registry is misconfigured or was tampered with; tell its operator' },
          );
        }
      }
      const pulled: PullResult = {
        name,
        version,
        signed,
        registry: options.registry,
        bundle: output,
        sha256: fetched.sha256,
        size: fetched.size,
        ...(verification === undefined ? {} : { verification }),
        ...(fetched.reference === undefined ? {} : { reference: fetched.reference, digest: fetched.digest }),
      };
      return pulled;
    });
  } finally {
    await registry.close();
  }
}

/**
 * Publish without any trust material cannot verify. The bundle is read first all the same, so that a malformed
 * (3) or unsigned (1) bundle is reported as what it is, before the missing trust (usage, 2).
 */
function noTrust(registry: PluginRegistry, bundle: BundleContents): AurionError {
  if (bundle.signatureEd25519 === undefined && bundle.signatureAsc === undefined) {
    return new AurionError(
      'UNSIGNED',
      `${bundle.path} is not signed; the registry accepts only signed bundles`,
      {
        hint: 'sign it first: aurion-plugin sign BUNDLE --key KEY',
      },
    );
  }
  return new AurionError('USAGE', 'no trust material: publish verifies every bundle before storing it', {
    hint: registry.trustHint,
  });
}

/** The first of the most severe verification errors, with all of them listed. */
function verificationFailed(bundle: string, result: VerifyResult, against: string): AurionError {
  const errors =
    result.errors.length > 0
      ? result.errors
      : [{ code: 'SIGNATURE_INVALID' as const, message: 'not verified' }];
  const worst = errors.reduce((a, b) => (EXIT_CODE_OF[b.code] > EXIT_CODE_OF[a.code] ? b : a));
  return new AurionError(worst.code, `${bundle} fails verification against ${against}: ${worst.message}`, {
    issues: errors.length > 1 ? errors.map((e) => ({ at: e.code, message: e.message })) : [],
    hint:
      worst.code === 'UNSIGNED'
        ? `sign it first: aurion-plugin sign ${bundle} --key YOUR.key`
        : 'nothing was stored; fix the bundle or its signature (run aurion-plugin verify for the full report)',
  });
}
