/**
 * The flags and flag parsing shared by the `authz` subcommands (SPEC §9): the signing key, TIME values,
 * capabilities and the authorizer trust flags, declared once.
 */
import type { Command } from 'commander';
import type { Ed25519PrivateKey } from '../core/keys.js';
import { CAPABILITY_RISK, type Capability } from '../core/types.js';
import { AurionError } from '../errors.js';
import type { AuthorizerSources } from '../io/authorizers.js';
import { readSmallFile } from '../io/files.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];
export const AUTHZ_HINT = "run 'aurion-plugin authz --help' for its usage";

export interface KeyFlags {
  readonly key?: string;
  readonly passphraseFile?: string;
}
export interface AuthorizerFlags {
  readonly trustedAuthorizer?: string[];
  readonly trustPolicy?: string;
  readonly at?: string;
}

/** The signing key: --key FILE, else the PEM text in AURION_SIGNING_KEY; USAGE when neither. */
export async function signingKey(flags: KeyFlags, env: NodeJS.ProcessEnv): Promise<Ed25519PrivateKey> {
  const { loadPrivateKey, passphraseFromFile } = await import('../core/keys.js');
  const fromEnv = env['AURION_SIGNING_KEY'];
  let pem: Uint8Array | string;
  let source: string;
  if (flags.key !== undefined)
    [pem, source] = [await readSmallFile(flags.key, 'key', 1024 * 1024), flags.key];
  else if (fromEnv !== undefined && fromEnv !== '') [pem, source] = [fromEnv, 'AURION_SIGNING_KEY'];
  else
    throw new AurionError('USAGE', 'no signing key: give --key FILE or set AURION_SIGNING_KEY', {
      hint: AUTHZ_HINT,
    });
  const passphrase =
    flags.passphraseFile !== undefined
      ? passphraseFromFile(
          await readSmallFile(flags.passphraseFile, 'passphrase file', 64 * 1024),
          flags.passphraseFile,
        )
      : env['AURION_KEY_PASSPHRASE'] || undefined;
  return loadPrivateKey(pem, passphrase, source);
}

/** A TIME flag: RFC 3339 or a duration from `now` (`72h`); USAGE otherwise. */
export async function timeFlag(flag: string, text: string, now: Date): Promise<Date> {
  const { parseTimeArgument } = await import('../core/time.js');
  const time = parseTimeArgument(text, now);
  if (time === undefined) {
    throw new AurionError(
      'USAGE',
      `${flag} ${JSON.stringify(text)} is neither an RFC 3339 time nor a duration`,
      {
        hint: 'write e.g. 2026-12-31T23:59:59Z, 72h or 14d (units s, m, h, d)',
      },
    );
  }
  return time;
}

/** Now, to the second: what `not_before` records and what durations count from. */
export const nowToTheSecond = () => new Date(Math.floor(Date.now() / 1000) * 1000);

export function capabilitiesOf(values: readonly string[]): Capability[] {
  for (const c of values) {
    if (!Object.hasOwn(CAPABILITY_RISK, c)) {
      throw new AurionError('USAGE', `unknown capability ${JSON.stringify(c)}`, {
        hint: `capabilities are ${Object.keys(CAPABILITY_RISK).join(', ')}`,
      });
    }
  }
  return values as Capability[];
}

export function authorizerSources(flags: AuthorizerFlags): AuthorizerSources {
  return { trustedAuthorizers: flags.trustedAuthorizer, trustPolicy: flags.trustPolicy };
}

export function addAuthorizerOptions(command: Command): Command {
  return command
    .option(
      '--trusted-authorizer <file>',
      'trust this Ed25519 authorizer key (SPKI PEM; repeatable)',
      collect,
    )
    .option('--trust-policy <file>', 'trust policy with "authorizers" (schemas/trust-policy.schema.json)')
    .option('--at <time>', 'judge at this time (RFC 3339, or a duration from now such as 1h) instead of now');
}
