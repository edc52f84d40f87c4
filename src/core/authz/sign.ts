/**
 * Making and co-signing authorizations (SPEC §9). Pure apart from randomness (the statement id) and the
 * clock default; files are written by src/ops/authz.ts.
 */

import { randomBytes } from 'node:crypto';
import { AurionError } from '../../errors.js';
import { decodeStrictBase64 } from '../base64.js';
import { signEd25519, verifyEd25519 } from '../ed25519.js';
import type { Ed25519PrivateKey } from '../keys.js';
import { formatTime } from '../time.js';
import type { Capability } from '../types.js';
import {
  AUTHORIZATION_PAYLOAD_TYPE,
  type AuthorizationEnvelope,
  type AuthorizationStatement,
  pae,
  parseAuthorization,
  serializeAuthorizationEnvelope,
} from './envelope.js';

/** The statement to sign. */
export interface AuthorizationInput {
  readonly scopeId: string;
  readonly targets: readonly string[];
  readonly exclude?: readonly string[];
  readonly capabilities: readonly Capability[];
  /** Plugin-name globs; default `["*"]` (left out of the statement). */
  readonly plugins?: readonly string[];
  /** Default: the time of creation, to the second. */
  readonly notBefore?: Date;
  readonly notAfter: Date;
  readonly issuer?: { readonly name?: string; readonly organization?: string; readonly contact?: string };
}

export interface CreateOptions {
  /** The time of creation (default: now). */
  readonly now?: Date;
  /** For messages (the output path). */
  readonly source?: string;
}

function signatureOf(key: Ed25519PrivateKey, message: Uint8Array) {
  const sig = signEd25519(key, message);
  if (!verifyEd25519(key.publicKey, message, sig)) {
    throw new AurionError('INTERNAL', 'a fresh Ed25519 signature does not verify with its own public key');
  }
  return { keyid: key.publicKey.keyId, sig: Buffer.from(sig).toString('base64') };
}

/**
 * Builds a statement with a fresh random id, checks it exactly as a verifier will (AUTHORIZATION_MALFORMED
 * with a JSON pointer for an invalid target, capability or time), signs it and returns the envelope's bytes.
 */
export function createAuthorization(
  input: AuthorizationInput,
  key: Ed25519PrivateKey,
  options: CreateOptions = {},
): Uint8Array {
  const now = options.now ?? new Date();
  const notBefore = input.notBefore ?? new Date(Math.floor(now.getTime() / 1000) * 1000);
  const issuer = Object.fromEntries(
    Object.entries(input.issuer ?? {}).filter(([, v]) => v !== undefined),
  ) as AuthorizationStatement['issuer'];
  const statement: AuthorizationStatement = {
    schema_version: 1,
    id: randomBytes(16).toString('hex'),
    scope_id: input.scopeId,
    ...(Object.keys(issuer ?? {}).length === 0 ? {} : { issuer }),
    targets: [...input.targets],
    ...(input.exclude === undefined || input.exclude.length === 0 ? {} : { exclude: [...input.exclude] }),
    capabilities: [...new Set(input.capabilities)],
    ...(input.plugins === undefined ? {} : { plugins: [...input.plugins] }),
    not_before: formatTime(notBefore),
    not_after: formatTime(input.notAfter),
  };
  const payloadBytes = new TextEncoder().encode(`${JSON.stringify(statement, null, 2)}\n`);
  const unsigned: AuthorizationEnvelope = {
    payloadType: AUTHORIZATION_PAYLOAD_TYPE,
    payload: Buffer.from(payloadBytes).toString('base64'),
    signatures: [],
  };
  // The one validator: what create writes is exactly what verify would accept.
  parseAuthorization(serializeAuthorizationEnvelope(unsigned), options.source ?? 'envelope');
  const signature = signatureOf(key, pae(AUTHORIZATION_PAYLOAD_TYPE, payloadBytes));
  return serializeAuthorizationEnvelope({ ...unsigned, signatures: [signature] });
}

/**
 * Adds `key`'s signature to an envelope. The payload text is kept exactly as it is. The same key twice is a
 * no-op (`added: false`, the bytes unchanged); an entry with this key id whose signature does not verify is
 * replaced. AUTHORIZATION_MALFORMED when the envelope or statement is invalid: nothing malformed is ever
 * co-signed.
 */
export function addAuthorizationSignature(
  envelope: Uint8Array,
  key: Ed25519PrivateKey,
  options: { readonly source?: string } = {},
): { readonly envelope: Uint8Array; readonly added: boolean } {
  const source = options.source ?? 'envelope';
  const parsed = parseAuthorization(envelope, source);
  const message = pae(AUTHORIZATION_PAYLOAD_TYPE, parsed.payloadBytes);
  const keyId = key.publicKey.keyId;
  const mine = parsed.envelope.signatures.filter((s) => s.keyid === keyId);
  if (mine.some((s) => verifyEd25519(key.publicKey, message, decodeStrictBase64(s.sig)!))) {
    return { envelope, added: false };
  }
  const others = parsed.envelope.signatures.filter((s) => s.keyid !== keyId);
  if (others.length >= 64) {
    throw new AurionError(
      'AUTHORIZATION_MALFORMED',
      `authorization ${source} already holds 64 signatures, the most allowed`,
    );
  }
  return {
    envelope: serializeAuthorizationEnvelope({
      ...parsed.envelope,
      signatures: [...others, signatureOf(key, message)],
    }),
    added: true,
  };
}
