/**
 * signBundle (SPEC §5, §7 sign): reads a bundle with the one reader, checks its module digest, adds
 * signature.ed25519 and/or signature.asc, and writes it back atomically. Ed25519 signing is deterministic, and so
 * is the writer: the same key and bundle give a byte-identical signed bundle.
 */

import { checkModuleDigest, ENTRY } from '../core/bundle/index.js';
import { createEnvelope } from '../core/envelope.js';
import type { Ed25519PrivateKey } from '../core/keys.js';
// A type-only import is erased: openpgp.js is loaded below, and only when an OpenPGP key is given.
import type { PgpPrivateKey } from '../core/pgp/keys.js';
import { AurionError } from '../errors.js';
import { readBundle, rewriteBundle } from '../io/bundle-file.js';

export interface SignOptions {
  /** Ed25519 key: writes signature.ed25519. */
  readonly key?: Ed25519PrivateKey;
  /** OpenPGP key (container bundles only): writes signature.asc. */
  readonly pgpKey?: PgpPrivateKey;
  /** Where to write the signed bundle; default: replace the input, atomically. */
  readonly out?: string;
  /** Replace an existing signature of the same kind. */
  readonly force?: boolean;
  /** Largest module.wasm accepted, in bytes (default 512 MiB). */
  readonly maxModuleSize?: number;
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Creation time of an OpenPGP signature (default: now). */
  readonly now?: Date;
}

export interface SignResult {
  /** Path of the signed bundle. */
  readonly bundle: string;
  /** SHA-256 and size of the signed bundle file. */
  readonly sha256: string;
  readonly size: number;
  /** Set when signed with Ed25519. */
  readonly keyId?: string;
  /** Set when signed with OpenPGP (primary key fingerprint). */
  readonly fingerprint?: string;
}

function alreadySigned(path: string, entry: string): AurionError {
  return new AurionError(
    'ALREADY_EXISTS',
    `${path} already has ${entry}; refusing to replace the signature`,
    {
      hint: `pass --force to replace it (a bundle holds one ${entry})`,
    },
  );
}

/**
 * Signs the bundle at `path`. USAGE without any key; KEY_INVALID for an OpenPGP key on a wasm bundle;
 * ALREADY_EXISTS when the signature to add exists and `force` is not set; and whatever the reader finds
 * (IO_ERROR, BUNDLE_INVALID, MANIFEST_INVALID, DIGEST_MISMATCH). Nothing is written unless all went well.
 */
export async function signBundle(path: string, options: SignOptions): Promise<SignResult> {
  const { key, pgpKey } = options;
  if (key === undefined && pgpKey === undefined) {
    throw new AurionError('USAGE', 'no signing key given', {
      hint: '--key FILE or AURION_SIGNING_KEY for Ed25519; --pgp-key FILE or AURION_PGP_KEY for OpenPGP',
    });
  }
  const bundle = await readBundle(path, {
    ...(options.maxModuleSize === undefined ? {} : { maxModuleSize: options.maxModuleSize }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  checkModuleDigest(bundle);
  if (pgpKey !== undefined && bundle.manifest.runtime !== 'container') {
    throw new AurionError(
      'KEY_INVALID',
      `${path} is a ${bundle.manifest.runtime} bundle: OpenPGP signs container bundles only (SPEC §5)`,
      { hint: 'sign wasm bundles with an Ed25519 key: --key FILE or AURION_SIGNING_KEY' },
    );
  }
  if (options.force !== true) {
    if (key !== undefined && bundle.signatureEd25519 !== undefined) throw alreadySigned(path, ENTRY.ed25519);
    if (pgpKey !== undefined && bundle.signatureAsc !== undefined) throw alreadySigned(path, ENTRY.asc);
  }

  const signatureEd25519 = key === undefined ? undefined : createEnvelope(key, bundle);
  let signatureAsc: Uint8Array | undefined;
  if (pgpKey !== undefined) {
    const pgp = await import('../core/pgp/sign.js');
    const armored = await pgp.signDetached(pgpKey, bundle.manifestBytes, options.now ?? new Date());
    signatureAsc = new TextEncoder().encode(armored);
  }
  const out = options.out ?? path;
  // A signature of the other kind already in the bundle is kept: the manifest it covers is unchanged.
  const written = await rewriteBundle(bundle, out, {
    ...(signatureEd25519 === undefined ? {} : { signatureEd25519 }),
    ...(signatureAsc === undefined ? {} : { signatureAsc }),
  });
  return {
    bundle: out,
    sha256: written.sha256,
    size: written.size,
    ...(key === undefined ? {} : { keyId: key.publicKey.keyId }),
    ...(pgpKey === undefined ? {} : { fingerprint: pgpKey.fingerprint }),
  };
}
