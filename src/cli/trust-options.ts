/**
 * The trust flags shared by verify, inspect, publish and pull (SPEC §6-§7), declared once so that every
 * command spells and documents them the same way.
 */
import type { Command } from 'commander';
import type { TrustSources } from '../io/trust.js';

export interface TrustFlags {
  readonly trustedKey?: string[];
  readonly pgpKeyring?: string[];
  readonly trustPolicy?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addTrustOptions(command: Command): Command {
  return command
    .option('--trusted-key <file>', 'trust this Ed25519 public key (SPKI PEM; repeatable)', collect)
    .option(
      '--pgp-keyring <file>',
      'trust the OpenPGP public keys in this armored file (repeatable)',
      collect,
    )
    .option('--trust-policy <file>', 'trust policy (JSON, schemas/trust-policy.schema.json)');
}

export function trustSources(flags: TrustFlags): TrustSources {
  return { trustPolicy: flags.trustPolicy, trustedKeys: flags.trustedKey, pgpKeyrings: flags.pgpKeyring };
}
