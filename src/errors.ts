/**
 * The one error type of aurion-plugin. Every failure carries a stable string code (SPEC §2); the CLI layer
 * alone turns codes into exit codes. Core modules throw, never exit.
 */

/** Stable error codes and the exit code each maps to (SPEC §2). */
export const EXIT_CODE_OF = {
  USAGE: 2,
  IO_ERROR: 4,
  ALREADY_EXISTS: 4,
  MANIFEST_INVALID: 3,
  BUNDLE_INVALID: 3,
  WASM_INVALID: 3,
  KEY_INVALID: 3,
  POLICY_INVALID: 3,
  /** cache-key: the job configuration is not JSON that serde_json would accept (SPEC §2 lists no code for it). */
  CONFIG_INVALID: 3,
  UNSIGNED: 1,
  SIGNATURE_INVALID: 1,
  DIGEST_MISMATCH: 1,
  KEY_UNTRUSTED: 1,
  KEY_REVOKED: 1,
  KEY_EXPIRED: 1,
  RISK_NOT_ALLOWED: 1,
  VERSION_EXISTS: 4,
  NOT_FOUND: 4,
  REGISTRY_ERROR: 4,
  /** A job request or a job's target that is not valid (SPEC §8-§9). */
  REQUEST_INVALID: 3,
  /** A Medium or High risk job without an authorization (SPEC §9). */
  AUTHORIZATION_REQUIRED: 1,
  /** An authorization that does not cover the job, or lacks trusted signatures (SPEC §9). */
  AUTHORIZATION_DENIED: 1,
  /** An authorization envelope or statement that does not parse, fails its schema or holds an invalid entry. */
  AUTHORIZATION_MALFORMED: 3,
  /** run: the module imports something the local sandbox does not provide (network hostcalls). */
  HOST_IMPORT_UNAVAILABLE: 4,
  /** What this machine or registry cannot do (a container engine that is not installed, a range on OCI). */
  UNSUPPORTED: 4,
  /** run: the plugin trapped, returned or exited non-zero, ran out of time or hit the memory cap. */
  PLUGIN_FAILED: 1,
  /** run: the plugin's stdout is not one JobResult object for this job. */
  RESULT_INVALID: 1,
  /** run: the plugin's cache_key is not the orchestrator's key for this job. */
  CACHE_KEY_MISMATCH: 1,
  /** run: the plugin reported `success: false`. */
  JOB_FAILED: 1,
  /** SPEC §11: the registry's signed (TUF) metadata fails verification: rollback, freeze, mix-and-match, ... */
  REGISTRY_UNTRUSTED: 1,
  INTERNAL: 4,
} as const;

export type ErrorCode = keyof typeof EXIT_CODE_OF;

/** One located problem, e.g. a schema violation at a JSON pointer. */
export interface Issue {
  /** JSON pointer (`/capabilities/0`), tar entry name, or other location; '' for the document root. */
  readonly at: string;
  readonly message: string;
}

export interface AurionErrorOptions {
  /** What the user can do about it, ideally a command to run. */
  readonly hint?: string;
  /** Several located problems reported together (schema errors). */
  readonly issues?: readonly Issue[];
  readonly cause?: unknown;
}

export class AurionError extends Error {
  override readonly name = 'AurionError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly issues: readonly Issue[];

  constructor(code: ErrorCode, message: string, options: AurionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.issues = options.issues ?? [];
  }

  get exitCode(): number {
    return EXIT_CODE_OF[this.code];
  }

  /** The `error` object of SPEC §2's JSON output. */
  toJSON(): { code: ErrorCode; message: string; hint?: string; issues?: Issue[] } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.issues.length === 0 ? {} : { issues: [...this.issues] }),
    };
  }
}

export function isAurionError(e: unknown, code?: ErrorCode): e is AurionError {
  return e instanceof AurionError && (code === undefined || e.code === code);
}

/** Wraps a Node file-system error as IO_ERROR with the path in the message. */
export function ioError(path: string, action: string, cause: unknown): AurionError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    errno === 'ENOENT'
      ? 'no such file or directory'
      : errno === 'EACCES' || errno === 'EPERM'
        ? 'permission denied'
        : errno === 'EISDIR'
          ? 'is a directory'
          : errno === 'ENOTDIR'
            ? 'a parent is not a directory'
            : errno === 'ENOSPC'
              ? 'no space left on device'
              : ((cause as Error | undefined)?.message ?? String(cause));
  return new AurionError('IO_ERROR', `cannot ${action} ${path}: ${reason}`, { cause });
}

/**
 * One error for located problems of a document: a single problem makes the headline (`SUBJECT: /at message`),
 * several are counted there (`SUBJECT: N problems`) and listed as the error's issues.
 */
export function issuesError(
  code: ErrorCode,
  subject: string,
  issues: readonly Issue[],
  hint: string,
): AurionError {
  const first = issues[0]!;
  const headline =
    issues.length === 1
      ? `${subject}: ${first.at === '' ? '' : `${first.at} `}${first.message}`
      : `${subject}: ${issues.length} problems`;
  return new AurionError(code, headline, { issues: issues.length === 1 ? [] : issues, hint });
}

/** Formats located issues as indented lines under a headline. */
export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((i) => `  ${i.at === '' ? '(root)' : i.at}: ${i.message}`).join('\n');
}
