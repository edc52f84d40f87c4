/**
 * Authorization files (SPEC §9): create a signed envelope (never overwriting), co-sign one in place
 * (atomically, under a lock: two co-signers at once never lose a signature), check one against a job, inspect
 * one. The rules live in src/core/authz/; this module reads and writes the files around them.
 */
import { realpath, stat } from 'node:fs/promises';
import {
  type AuthorizationGrant,
  type AuthorizationInput,
  type AuthorizationJob,
  addAuthorizationSignature,
  checkAuthorization,
  createAuthorization,
  judgeSignatures,
  MAX_ENVELOPE_SIZE,
  type ParsedAuthorization,
  parseAuthorization,
  type SignatureFinding,
} from '../core/authz/index.js';
import type { AuthorizerTrust } from '../core/authz/trust.js';
import type { Ed25519PrivateKey } from '../core/keys.js';
import { CAPABILITY_RISK, type RiskClass, riskRank } from '../core/types.js';
import { AurionError, ioError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readSmallFile } from '../io/files.js';
import { acquireLock, describeOwner, lockedHint } from '../io/lock.js';

/**
 * Reads an authorization file: IO_ERROR when it cannot be opened or is not a regular file;
 * AUTHORIZATION_MALFORMED when it is larger than any envelope may be (read no further).
 */
export async function readAuthorizationFile(path: string): Promise<Uint8Array> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) {
      throw Object.assign(new Error('not a regular file'), { code: st.isDirectory() ? 'EISDIR' : 'EINVAL' });
    }
    size = st.size;
  } catch (e) {
    throw ioError(path, 'read authorization', e);
  }
  if (size > MAX_ENVELOPE_SIZE) {
    throw new AurionError(
      'AUTHORIZATION_MALFORMED',
      `invalid authorization ${path}: is ${size} bytes, more than the ${MAX_ENVELOPE_SIZE} allowed`,
    );
  }
  return readSmallFile(path, 'authorization', MAX_ENVELOPE_SIZE);
}

export interface CreatedAuthorization {
  readonly path: string;
  readonly id: string;
  readonly keyId: string;
}

/** Creates, signs and writes a new authorization; ALREADY_EXISTS when `path` exists (nothing is replaced). */
export async function createAuthorizationFile(
  path: string,
  input: AuthorizationInput,
  key: Ed25519PrivateKey,
  options: { readonly now?: Date } = {},
): Promise<CreatedAuthorization> {
  const bytes = createAuthorization(input, key, { ...options, source: path });
  await writeFileAtomic(path, bytes, { overwrite: false });
  return { path, id: parseAuthorization(bytes, path).statement.id, keyId: key.publicKey.keyId };
}

export interface CosignedAuthorization {
  readonly path: string;
  readonly id: string;
  readonly keyId: string;
  /** false: this key had already signed; the file was left untouched. */
  readonly added: boolean;
  /** Key ids of every signature now in the envelope. */
  readonly signatures: readonly string[];
}

/**
 * Adds `key`'s signature to the authorization at `path`, replacing the file atomically. The read, the signing
 * and the write happen under an exclusive lock, `<file>.lock` beside the file (the file a symbolic link points
 * to), so co-signers working at once each add their signature to what the one before them wrote. A co-signer
 * that still holds the lock after `lockTimeoutMs` (default 60 s) is IO_ERROR, naming it; the lock of a process
 * of this host that died is taken over.
 */
export async function signAuthorizationFile(
  path: string,
  key: Ed25519PrivateKey,
  options: { readonly lockTimeoutMs?: number } = {},
): Promise<CosignedAuthorization> {
  let file: string;
  try {
    file = await realpath(path);
  } catch (e) {
    throw ioError(path, 'read authorization', e);
  }
  const lock = await acquireLock(`${file}.lock`, {
    ...(options.lockTimeoutMs === undefined ? {} : { timeoutMs: options.lockTimeoutMs }),
    lockedError: (lockPath, owner) =>
      new AurionError(
        'IO_ERROR',
        `cannot co-sign ${path}: ${describeOwner(owner)} is co-signing it (${lockPath})`,
        {
          hint: lockedHint(lockPath, owner, 'co-sign'),
        },
      ),
  });
  try {
    const before = await readAuthorizationFile(path);
    const { envelope, added } = addAuthorizationSignature(before, key, { source: path });
    if (added) await writeFileAtomic(path, envelope);
    const parsed = parseAuthorization(envelope, path);
    return {
      path,
      id: parsed.statement.id,
      keyId: key.publicKey.keyId,
      added,
      signatures: parsed.envelope.signatures.map((s) => s.keyid),
    };
  } finally {
    await lock.release();
  }
}

/** The verdict of `authz verify`: ok, or the error that stopped it (id null when the file did not parse). */
export interface AuthorizationVerdict {
  readonly ok: boolean;
  readonly id: string | null;
  readonly signers: readonly string[];
  readonly error?: AurionError;
}

/** The risk class a set of capabilities needs: the highest among them. */
export function highestRiskClass(capabilities: AuthorizationJob['capabilities']): RiskClass {
  return capabilities.reduce<RiskClass>(
    (top, c) => (riskRank(CAPABILITY_RISK[c]) > riskRank(top) ? CAPABILITY_RISK[c] : top),
    'Low',
  );
}

/**
 * Checks the authorization at `path` against a job. Failures of the authorization itself (malformed,
 * denied) and of the job's target come back in the verdict; unreadable files throw (IO_ERROR).
 */
export async function verifyAuthorizationFile(
  path: string,
  job: AuthorizationJob,
  trust: AuthorizerTrust,
  options: { readonly now?: Date } = {},
): Promise<AuthorizationVerdict> {
  let bytes: Uint8Array;
  try {
    bytes = await readAuthorizationFile(path);
  } catch (e) {
    // an oversized file is the authorization's problem (a verdict); an unreadable one is the call's
    if (e instanceof AurionError && e.code === 'AUTHORIZATION_MALFORMED')
      return { ok: false, id: null, signers: [], error: e };
    throw e;
  }
  let grant: AuthorizationGrant;
  try {
    grant = checkAuthorization(bytes, job, trust, { ...options, source: path });
  } catch (e) {
    if (!(e instanceof AurionError)) throw e;
    let id: string | null = null;
    let signers: string[] = [];
    try {
      const parsed = parseAuthorization(bytes, path);
      id = parsed.statement.id;
      signers = judgeSignatures(parsed, trust, job.riskClass, options.now ?? new Date())
        .filter((f) => f.verdict === 'counted')
        .map((f) => f.keyId);
    } catch {
      // malformed: no id, no signers
    }
    return { ok: false, id, signers, error: e };
  }
  return { ok: true, id: grant.id, signers: grant.signers };
}

export interface AuthorizationReport {
  readonly path: string;
  readonly parsed: ParsedAuthorization;
  /** With trust: each signature's verdict, judged for the highest class among the statement's capabilities. */
  readonly findings?: readonly SignatureFinding[];
  readonly riskClass: RiskClass;
}

/** Reads and parses an authorization for display; judges its signatures when trust is given. */
export async function inspectAuthorizationFile(
  path: string,
  trust: AuthorizerTrust | undefined,
  options: { readonly now?: Date } = {},
): Promise<AuthorizationReport> {
  const parsed = parseAuthorization(await readAuthorizationFile(path), path);
  const riskClass = highestRiskClass(parsed.statement.capabilities);
  return {
    path,
    parsed,
    riskClass,
    ...(trust === undefined
      ? {}
      : { findings: judgeSignatures(parsed, trust, riskClass, options.now ?? new Date()) }),
  };
}
