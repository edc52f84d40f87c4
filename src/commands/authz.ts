/** `authz create|sign|verify|inspect` (SPEC §9): flags -> src/ops/authz.ts -> output. */
import type { Command } from 'commander';
import {
  AUTHZ_HINT,
  type AuthorizerFlags,
  addAuthorizerOptions,
  authorizerSources,
  capabilitiesOf,
  type KeyFlags,
  nowToTheSecond,
  signingKey,
  timeFlag,
} from '../cli/authz-options.js';
import { inspectAuthorizationText } from '../cli/authz-text.js';
import type { Cli } from '../cli/context.js';
import type { Capability } from '../core/types.js';
import { AurionError } from '../errors.js';

export function register(program: Command, cli: Cli): void {
  const authz = program
    .command('authz')
    .description('authorizations: signed permission to run Medium and High risk capabilities (SPEC §9)');

  authz
    .command('create')
    .description('write a new signed authorization (never overwrites)')
    .requiredOption('--scope <id>', 'the scope (engagement) id jobs must carry')
    .requiredOption('--target <target...>', 'host, *.wildcard, IP, CIDR or http(s) URL prefix (repeatable)')
    .option('--exclude <target...>', 'targets that stay forbidden (repeatable)')
    .requiredOption(
      '--capability <capability...>',
      'capability allowed: PortScan, VulnerabilityScan, Fuzz, …',
    )
    .option('--plugin <glob...>', 'plugin-name globs covered (default: all)')
    .option('--not-before <time>', 'start (RFC 3339 or a duration from now; default: now)')
    .requiredOption('--not-after <time>', 'end (RFC 3339, or a duration from now such as 72h or 14d)')
    .option('--issuer-name <name>', "issuer's name")
    .option('--issuer-org <org>', "issuer's organization")
    .option('--issuer-contact <contact>', "issuer's contact")
    .option('--key <file>', 'Ed25519 private key, PKCS#8 PEM (default: the PEM text in AURION_SIGNING_KEY)')
    .option('--passphrase-file <file>', 'passphrase of an encrypted key (default: AURION_KEY_PASSPHRASE)')
    .requiredOption('-o, --output <file>', 'the envelope to write')
    .action(async (flags) => {
      const { createAuthorizationFile } = await import('../ops/authz.js');
      const now = nowToTheSecond();
      const notBefore =
        flags.notBefore === undefined ? now : await timeFlag('--not-before', flags.notBefore, now);
      const notAfter = await timeFlag('--not-after', flags.notAfter, now);
      if (notAfter.getTime() <= notBefore.getTime()) {
        throw new AurionError('USAGE', '--not-after must be later than --not-before (default: now)', {
          hint: AUTHZ_HINT,
        });
      }
      const capabilities = capabilitiesOf(flags.capability);
      const key = await signingKey(flags, cli.env);
      const r = await createAuthorizationFile(
        flags.output,
        {
          scopeId: flags.scope,
          targets: flags.target,
          exclude: flags.exclude,
          capabilities,
          plugins: flags.plugin,
          notBefore,
          notAfter,
          issuer: { name: flags.issuerName, organization: flags.issuerOrg, contact: flags.issuerContact },
        },
        key,
        { now },
      );
      cli.out.result(
        { path: r.path, id: r.id, key_id: r.keyId },
        () => `${cli.out.style.green('created')} ${r.path}\n  id: ${r.id}\n  signed by key ${r.keyId}`,
      );
    });

  authz
    .command('sign')
    .description('add a co-signature to an authorization, in place (the same key twice changes nothing)')
    .argument('<file>', 'the authorization envelope')
    .option('--key <file>', 'Ed25519 private key, PKCS#8 PEM (default: the PEM text in AURION_SIGNING_KEY)')
    .option('--passphrase-file <file>', 'passphrase of an encrypted key (default: AURION_KEY_PASSPHRASE)')
    .action(async (path: string, flags: KeyFlags) => {
      const { signAuthorizationFile } = await import('../ops/authz.js');
      const key = await signingKey(flags, cli.env);
      const r = await signAuthorizationFile(path, key);
      cli.out.result(
        { path: r.path, id: r.id, key_id: r.keyId, added: r.added, signatures: r.signatures },
        () =>
          r.added
            ? `${cli.out.style.green('signed')} ${r.path} with key ${r.keyId} (${r.signatures.length} signatures)`
            : `${r.path} is already signed by key ${r.keyId}; unchanged`,
      );
    });

  addAuthorizerOptions(
    authz
      .command('verify')
      .description('check that an authorization covers a job (exit 0 covered, 1 denied, 3 malformed)')
      .argument('<file>', 'the authorization envelope')
      .requiredOption('--scope <id>', "the job's scope id")
      .requiredOption('--target <target>', "the job's target")
      .option('--plugin <bundle>', 'the plugin bundle (its name, capabilities and effective risk class)')
      .option('--plugin-name <name>', 'the plugin name, with --capability')
      .option('--capability <capability...>', "the plugin's capabilities, with --plugin-name"),
  ).action(async (path: string, flags) => {
    const [{ verifyAuthorizationFile, highestRiskClass }, { loadAuthorizerTrust }] = await Promise.all([
      import('../ops/authz.js'),
      import('../io/authorizers.js'),
    ]);
    if ((flags.plugin === undefined) === (flags.pluginName === undefined)) {
      throw new AurionError('USAGE', 'give either --plugin BUNDLE or --plugin-name NAME with --capability', {
        hint: AUTHZ_HINT,
      });
    }
    let plugin: { name: string; capabilities: Capability[]; riskClass: ReturnType<typeof highestRiskClass> };
    if (flags.pluginName !== undefined) {
      if (flags.capability === undefined) {
        throw new AurionError('USAGE', "--plugin-name needs the plugin's capabilities: --capability C...", {
          hint: AUTHZ_HINT,
        });
      }
      const capabilities = capabilitiesOf(flags.capability);
      plugin = { name: flags.pluginName, capabilities, riskClass: highestRiskClass(capabilities) };
    } else {
      if (flags.capability !== undefined) {
        throw new AurionError(
          'USAGE',
          '--capability goes with --plugin-name; --plugin reads them from the bundle',
          { hint: AUTHZ_HINT },
        );
      }
      plugin = await (await import('../ops/authz-plugin.js')).pluginOfBundle(flags.plugin, flags.trustPolicy);
    }
    const trust = await loadAuthorizerTrust(authorizerSources(flags));
    const now = flags.at === undefined ? new Date() : await timeFlag('--at', flags.at, new Date());
    const job = {
      scopeId: flags.scope,
      target: flags.target,
      pluginName: plugin.name,
      capabilities: plugin.capabilities,
      riskClass: plugin.riskClass,
    };
    const v = await verifyAuthorizationFile(path, job, trust, { now });
    if (v.error !== undefined) {
      if (cli.out.json)
        cli.out.printJson({ ok: false, id: v.id, signers: v.signers, error: v.error.toJSON() });
      throw v.error;
    }
    cli.out.result(
      { id: v.id, signers: v.signers },
      () =>
        `${cli.out.style.green('✓')} authorization ${v.id} covers ${flags.target} for ${plugin.name} (risk ${plugin.riskClass}), signed by ${v.signers.join(', ')}`,
    );
  });

  addAuthorizerOptions(
    authz
      .command('inspect')
      .description("show an authorization's statement and signatures (with verdicts when trust is given)")
      .argument('<file>', 'the authorization envelope'),
  ).action(async (path: string, flags: AuthorizerFlags) => {
    const [{ inspectAuthorizationFile }, { loadAuthorizerTrust }] = await Promise.all([
      import('../ops/authz.js'),
      import('../io/authorizers.js'),
    ]);
    const sources = authorizerSources(flags);
    const trust =
      sources.trustPolicy === undefined && (sources.trustedAuthorizers ?? []).length === 0
        ? undefined
        : await loadAuthorizerTrust(sources);
    const now = flags.at === undefined ? new Date() : await timeFlag('--at', flags.at, new Date());
    const r = await inspectAuthorizationFile(path, trust, { now });
    cli.out.result(
      {
        path: r.path,
        id: r.parsed.statement.id,
        payload_type: r.parsed.envelope.payloadType,
        statement: r.parsed.statement,
        risk_class: r.riskClass,
        signatures: r.parsed.envelope.signatures.map((s, i) => {
          const f = r.findings?.[i];
          return { keyid: s.keyid, ...(f === undefined ? {} : { verdict: f.verdict, message: f.message }) };
        }),
      },
      () => inspectAuthorizationText(cli.out, r),
    );
  });
}
