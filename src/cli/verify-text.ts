import type { Signer, VerifyResult } from '../core/verify.js';
import { type Output, terminalSafeDeep } from './output.js';

/** A signer in one phrase: its algorithm, key id or fingerprint, and policy name. */
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
