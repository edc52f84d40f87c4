import { statSync } from 'node:fs';
import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';
import { type Output, terminalSafeDeep } from '../cli/output.js';
import { type MaxModuleSizeFlags, maxModuleSizeOf, maxModuleSizeOption } from '../cli/size-option.js';
import { addTrustOptions, type TrustFlags, trustSources } from '../cli/trust-options.js';
import type { Signer, VerifyResult } from '../core/verify.js';
import { AurionError } from '../errors.js';
import { lowerThreadPriority } from '../io/thread-pool.js';

interface VerifyFlags extends TrustFlags, MaxModuleSizeFlags {}

export function signerText(signer: Signer): string {
  const id =
    signer.algorithm === 'ed25519' ? `ed25519 key ${signer.key_id}` : `OpenPGP key ${signer.fingerprint}`;
  return signer.name === undefined ? id : `${id} (${signer.name})`;
}

/**
 * One line per bundle, then its problems indented; a bundle with two signatures lists each verdict. Every
 * string of the result (paths, names, messages quoting the bundle) is escaped for the terminal.
 */
export function verifyText(out: Output, result: VerifyResult): string {
  const { style } = out;
  const r = terminalSafeDeep(result);
  const what = r.plugin === null ? '' : `${r.plugin.name}@${r.plugin.version} `;
  if (r.ok) {
    const risk = r.plugin!.effective_risk_class;
    const override = risk === r.plugin!.risk_class ? '' : ` (override of ${r.plugin!.risk_class})`;
    return `${style.green('✓')} ${what}${r.bundle} — signed by ${signerText(r.signer!)}, risk ${risk}${override}`;
  }
  const lines = [`${style.red('✗')} ${what}${r.bundle}`];
  for (const e of r.errors) lines.push(`    ${style.red(e.code)} ${e.message}`);
  return lines.join('\n');
}

export function register(program: Command, cli: Cli): void {
  addTrustOptions(
    program
      .command('verify')
      .description('verify bundles: structure, digests, signatures and the trust policy')
      .argument('<bundles...>', 'bundle files (.aurion)'),
  )
    .addOption(maxModuleSizeOption())
    .action(async (bundles: string[], flags: VerifyFlags) => {
      // Loaded when the command runs, not at start-up: each command pays only for its own modules.
      const [{ exitCodeOf, verifyBundles }, { loadTrust }] = await Promise.all([
        import('../core/verify.js'),
        import('../io/trust.js'),
      ]);
      const maxModuleSize = maxModuleSizeOf(flags);
      // A batch: the main thread, reading the next bundles, sets the pace; the pool's signature checks take
      // what the main thread leaves of the cores (docs/performance.md).
      if (bundles.length > 1) lowerThreadPriority(cli.poolThreads);
      const trust = await loadTrust(trustSources(flags));
      if (trust === undefined) {
        throw new AurionError('USAGE', 'no trust material: nothing can verify without a trusted key', {
          hint: 'give --trusted-key FILE, --pgp-keyring FILE or --trust-policy FILE',
        });
      }
      // Progress over all bundles together (shown only on a TTY, never with --json, for a few MiB or more).
      // Synchronous: a stat is microseconds, and hundreds of them on the thread pool would queue up ahead of
      // the signature checks. Not even that when no progress can be shown (a pipeline's batch).
      const sizes = cli.out.mayShowProgress
        ? bundles.map((b) => {
            try {
              return statSync(b).size;
            } catch {
              return 0;
            }
          })
        : [];
      const progress = cli.out.progress(
        'verifying',
        sizes.reduce((a, b) => a + b, 0),
      );
      const read = new Array<number>(bundles.length).fill(0);
      let total = 0;
      const results = await verifyBundles(bundles, trust, {
        maxModuleSize,
        ...(progress === undefined
          ? {}
          : {
              onProgress: (i: number, bytesRead: number) => {
                total += bytesRead - read[i]!;
                read[i] = bytesRead;
                progress.update(total);
              },
            }),
      });
      progress?.end();
      cli.exitCode = exitCodeOf(results);
      const ok = cli.exitCode === 0;
      if (cli.out.json) {
        cli.out.printJson({ ok, results });
        return;
      }
      // One write for the whole report: a batch of hundreds of bundles is one line each.
      const lines = results.map((r) => verifyText(cli.out, r));
      if (results.length > 1) {
        const failed = results.filter((r) => !r.ok).length;
        lines.push(
          ok ? `all ${results.length} bundles verified` : `${failed} of ${results.length} bundles failed`,
        );
      }
      cli.out.line(lines.join('\n'));
    });
}
