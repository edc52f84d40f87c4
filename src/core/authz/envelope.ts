/**
 * The authorization envelope (SPEC §9): DSSE (the in-toto/Sigstore signing envelope) around a JSON statement.
 * Signatures are Ed25519 over DSSE's pre-authentication encoding (PAE) of the payload type and the decoded
 * payload bytes. The payload is kept as the exact base64 text that was signed and is never re-encoded; adding
 * a signature re-serializes only the envelope around it.
 */
import { type Issue, issuesError } from '../../errors.js';
import {
  authorizationEnvelope as envelopeValidator,
  authorization as statementValidator,
} from '../../generated/validators.js';
import { decodeStrictBase64 } from '../base64.js';
import { readDocument } from '../schema.js';
import { parseRfc3339 } from '../time.js';
import type { Capability } from '../types.js';
import { parseTarget, type Target } from './target.js';

export const AUTHORIZATION_PAYLOAD_TYPE = 'application/vnd.aurion.authorization.v1+json';
/** Largest envelope accepted (bytes): far above any real one, small enough to read whole. */
export const MAX_ENVELOPE_SIZE = 1024 * 1024;

export interface DsseSignature {
  /** 16 lowercase hex digits (SPEC §5 key id). */
  readonly keyid: string;
  /** Standard padded base64 of the 64-byte Ed25519 signature. */
  readonly sig: string;
}

export interface AuthorizationEnvelope {
  readonly payloadType: typeof AUTHORIZATION_PAYLOAD_TYPE;
  /** The payload exactly as stored (base64 text). */
  readonly payload: string;
  readonly signatures: readonly DsseSignature[];
}

/** The statement as written (authorization.schema.json). */
export interface AuthorizationStatement {
  readonly schema_version: 1;
  readonly id: string;
  readonly scope_id: string;
  readonly issuer?: { readonly name?: string; readonly organization?: string; readonly contact?: string };
  readonly targets: readonly string[];
  readonly exclude?: readonly string[];
  readonly capabilities: readonly Capability[];
  readonly plugins?: readonly string[];
  readonly not_before: string;
  readonly not_after: string;
  readonly [extension: `x-${string}`]: unknown;
}

/** A parsed, valid authorization: the envelope, the payload bytes, and the statement with its rules decoded. */
export interface ParsedAuthorization {
  readonly envelope: AuthorizationEnvelope;
  /** The decoded payload: what the signatures cover. */
  readonly payloadBytes: Uint8Array;
  readonly statement: AuthorizationStatement;
  /** `targets` and `exclude` parsed, in the statement's order (texts alongside, for messages). */
  readonly targets: ReadonlyArray<{ readonly text: string; readonly target: Target }>;
  readonly exclude: ReadonlyArray<{ readonly text: string; readonly target: Target }>;
  /** `plugins`, defaulted to `["*"]`. */
  readonly plugins: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** DSSE's pre-authentication encoding: `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType, 'utf8');
  const header = Buffer.from(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `, 'utf8');
  return Buffer.concat([header, payload]);
}

function malformed(source: string, issues: readonly Issue[]): never {
  throw issuesError(
    'AUTHORIZATION_MALFORMED',
    `invalid authorization ${source}`,
    issues,
    'make a new one with aurion-plugin authz create; docs/authorization.md describes the format',
  );
}

/** Rules of a statement that its schema cannot say: valid target entries, real dates, a sane window. */
function decodeStatement(statement: AuthorizationStatement, source: string) {
  const issues: Issue[] = [];
  const parseList = (list: readonly string[], base: string) =>
    list.flatMap((text, i) => {
      const parsed = parseTarget(text, { allowWildcard: true });
      if ('problem' in parsed) {
        issues.push({ at: `${base}/${i}`, message: `${JSON.stringify(text)}: ${parsed.problem}` });
        return [];
      }
      return [{ text, target: parsed.target }];
    });
  const targets = parseList(statement.targets, '/payload/targets');
  const exclude = parseList(statement.exclude ?? [], '/payload/exclude');
  const notBefore = parseRfc3339(statement.not_before);
  const notAfter = parseRfc3339(statement.not_after);
  if (notBefore === undefined) issues.push({ at: '/payload/not_before', message: 'is not a real date-time' });
  if (notAfter === undefined) issues.push({ at: '/payload/not_after', message: 'is not a real date-time' });
  if (notBefore !== undefined && notAfter !== undefined && notAfter.getTime() < notBefore.getTime()) {
    issues.push({ at: '/payload/not_after', message: `is before not_before (${statement.not_before})` });
  }
  if (issues.length > 0) malformed(source, issues);
  return { targets, exclude, notBefore: notBefore!, notAfter: notAfter! };
}

/**
 * Parses and validates an authorization envelope and its statement. AUTHORIZATION_MALFORMED (3) with JSON
 * pointers for anything wrong: size, BOM, UTF-8, JSON (duplicate keys), the envelope schema (payload type,
 * base64), the payload's JSON and schema (pointers under `/payload`), invalid targets, impossible dates.
 * Signatures are not checked here.
 */
export function parseAuthorization(bytes: Uint8Array, source: string): ParsedAuthorization {
  if (bytes.length > MAX_ENVELOPE_SIZE) {
    malformed(source, [
      { at: '', message: `is ${bytes.length} bytes, more than the ${MAX_ENVELOPE_SIZE} allowed` },
    ]);
  }
  const outer = readDocument(bytes, envelopeValidator);
  if (outer.issues.length > 0) malformed(source, outer.issues);
  const envelope = outer.value as AuthorizationEnvelope;
  const payloadBytes = decodeStrictBase64(envelope.payload);
  if (payloadBytes === undefined) {
    malformed(source, [{ at: '/payload', message: 'is not canonical standard base64 (RFC 4648 §4)' }]);
  }
  envelope.signatures.forEach((s, i) => {
    if (decodeStrictBase64(s.sig)?.length !== 64) {
      malformed(source, [{ at: `/signatures/${i}/sig`, message: 'is not canonical base64 of 64 bytes' }]);
    }
  });
  const inner = readDocument(payloadBytes, statementValidator);
  if (inner.issues.length > 0) {
    malformed(
      source,
      inner.issues.map((issue) => ({ at: `/payload${issue.at}`, message: issue.message })),
    );
  }
  const statement = inner.value as AuthorizationStatement;
  return {
    envelope,
    payloadBytes,
    statement,
    ...decodeStatement(statement, source),
    plugins: statement.plugins ?? ['*'],
  };
}

/** The envelope's JSON text: fixed key order, two-space indent, a final newline. The payload text as given. */
export function serializeAuthorizationEnvelope(envelope: AuthorizationEnvelope): Uint8Array {
  const ordered = {
    payloadType: envelope.payloadType,
    payload: envelope.payload,
    signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })),
  };
  return new TextEncoder().encode(`${JSON.stringify(ordered, null, 2)}\n`);
}
