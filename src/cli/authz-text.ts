/** Human-readable output of `authz inspect`. Text taken from the statement is shown with control characters escaped. */
import type { SignatureFinding } from '../core/authz/check.js';
import type { AuthorizationReport } from '../ops/authz.js';
import type { Output } from './output.js';

/** Control characters from the data are shown escaped (SPEC §2), so a statement cannot rewrite a terminal. */
function shown(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function findingText(out: Output, f: SignatureFinding): string {
  return f.verdict === 'counted'
    ? out.style.green('counts')
    : out.style.red(`${f.verdict}: ${shown(f.message)}`);
}

export function inspectAuthorizationText(out: Output, r: AuthorizationReport): string {
  const s = r.parsed.statement;
  const list = (xs: readonly string[] | undefined) =>
    xs === undefined || xs.length === 0 ? '-' : xs.map(shown).join(', ');
  const issuer =
    s.issuer === undefined
      ? '-'
      : list(
          [s.issuer.name, s.issuer.organization, s.issuer.contact].filter((x) => x !== undefined) as string[],
        );
  const lines = [
    `authorization ${s.id} (${r.path})`,
    `  scope:        ${shown(s.scope_id)}`,
    `  issuer:       ${issuer}`,
    `  targets:      ${list(s.targets)}`,
    `  exclude:      ${list(s.exclude)}`,
    `  capabilities: ${list(s.capabilities)} (risk class ${r.riskClass})`,
    `  plugins:      ${list(r.parsed.plugins)}`,
    `  valid:        ${s.not_before} .. ${s.not_after}`,
    `  signatures:   ${r.parsed.envelope.signatures.length}`,
  ];
  r.parsed.envelope.signatures.forEach((sig, i) => {
    const f = r.findings?.[i];
    lines.push(`    key ${sig.keyid}${f === undefined ? '' : ` — ${findingText(out, f)}`}`);
  });
  return lines.join('\n');
}
