/** The human form of `inspect`: short aligned sections an auditor can read at a glance. */
import type { ChalkInstance } from 'chalk';
import type { InspectReport, MemoryFacts, SignatureFacts } from '../core/inspect.js';
import type { VerifyResult } from '../core/verify.js';
import { terminalSafeDeep } from './output.js';

type Row = readonly [label: string, value: string];

function section(style: ChalkInstance, title: string, rows: readonly Row[]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return [style.bold(title), ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)].join(
    '\n',
  );
}

const list = (items: readonly string[]) => (items.length === 0 ? 'none' : items.join(', '));

const pages = (n: number) => `${n} page${n === 1 ? '' : 's'}`;

function memoryText(m: MemoryFacts): string {
  const max =
    m.maximum_pages === null ? 'no maximum' : `max ${pages(m.maximum_pages)} (${m.maximum_mib} MiB)`;
  return `${pages(m.initial_pages)} (${m.initial_mib} MiB) initial, ${max}${m.imported ? ', imported' : ''}${m.memory64 ? ', memory64' : ''}${m.shared ? ', shared' : ''}`;
}

function signatureRow(style: ChalkInstance, s: SignatureFacts): Row {
  if ('unreadable' in s)
    return [s.file, style.red(`unreadable: ${s.unreadable.code} ${s.unreadable.message}`)];
  const mark = (ok: boolean) => (ok ? style.green('matches') : style.red('DOES NOT MATCH'));
  if (s.algorithm === 'ed25519') {
    return [
      s.file,
      `ed25519 key ${s.key_id}; ${s.subject.kind} ${mark(s.subject_matches_bundle)}, manifest ${mark(s.manifest_matches_bundle)}`,
    ];
  }
  const issuer = s.fingerprint ?? (s.key_id === null ? 'unknown issuer' : `key id ${s.key_id}`);
  return [
    s.file,
    `OpenPGP ${issuer}; ${s.mode} mode, ${s.hash ?? 'unknown hash'}, created ${s.created ?? 'unknown'}`,
  ];
}

function verdictRows(style: ChalkInstance, v: VerifyResult): Row[] {
  const rows: Row[] = [];
  if (v.ok && v.signer !== null) {
    const who =
      v.signer.algorithm === 'ed25519' ? `key ${v.signer.key_id}` : `OpenPGP ${v.signer.fingerprint}`;
    const name = v.signer.name === undefined ? '' : ` (${v.signer.name})`;
    rows.push(['verdict', `${style.green('✓ verified')}, signed by ${who}${name}`]);
  } else {
    rows.push(['verdict', style.red('✗ failed')]);
  }
  // With two signatures, say which one passed; a failing one does not fail the bundle.
  if (v.signatures.length > 1) {
    for (const s of v.signatures) {
      rows.push([
        s.file,
        s.ok ? style.green('passes') : `${style.red('fails')}: ${s.errors.map((e) => e.code).join(', ')}`,
      ]);
    }
  }
  for (const e of v.errors) rows.push(['', `${style.red(e.code)} ${e.message}`]);
  return rows;
}

/** The report as text; every string from the bundle (names, descriptions, wasm names, messages) is escaped. */
export function inspectText(style: ChalkInstance, report: InspectReport): string {
  const r = terminalSafeDeep(report);
  const risk =
    r.effective_risk_class === r.risk_class
      ? r.risk_class
      : `${r.effective_risk_class} (administrators' override; manifest says ${r.risk_class})`;
  const parts: string[] = [
    section(style, `${r.name}@${r.version}${r.description === null ? '' : ` — ${r.description}`}`, [
      ['bundle', `${r.bundle} (${r.size} bytes)`],
      ['sha256', r.sha256],
      ['risk class', risk],
      [
        'authorization',
        r.requires_authorization ? style.yellow('AuthorizationBundle required') : 'not required',
      ],
      ['scopes', list(r.supported_scopes)],
      ...(r.manifest.author === undefined ? [] : [['author', r.manifest.author] as Row]),
      ...(r.manifest.license === undefined ? [] : [['license', r.manifest.license] as Row]),
      ...(r.manifest.homepage === undefined ? [] : [['homepage', r.manifest.homepage] as Row]),
    ]),
    section(
      style,
      'Capabilities',
      r.capabilities.map((c) => [
        c.name,
        `${c.risk_class.padEnd(6)}  ${c.requires_authorization ? 'AuthorizationBundle required' : 'no authorization needed'}`,
      ]),
    ),
  ];
  const rt = r.runtime;
  const limits = `memory ${rt.limits.memory_mib} MiB, timeout ${rt.limits.timeout_seconds} s${rt.limits.declared ? '' : ' (runtime defaults)'}`;
  if (rt.kind === 'wasm') {
    const m = rt.module;
    parts.push(
      section(style, 'Runtime: wasm', [
        ['module', `${m.path}, ${m.size} bytes`],
        [
          'sha256',
          `${m.sha256} ${m.digest_matches_manifest ? style.green('(matches manifest)') : style.red('(DOES NOT MATCH manifest)')}`,
        ],
        ['imports', list(m.imports.map((i) => `${i.module}.${i.name} (${i.kind})`))],
        [
          'non-deterministic',
          m.nondeterministic_imports.length === 0
            ? 'none'
            : style.yellow(
                `${m.nondeterministic_imports.join(', ')} (plugins should avoid clocks and randomness)`,
              ),
        ],
        ['exports', list(m.exports.map((e) => `${e.name} (${e.kind})`))],
        ...m.memories.map(
          (mem, i): Row => [m.memories.length === 1 ? 'memory' : `memory ${i}`, memoryText(mem)],
        ),
        ...(m.memories.length === 0 ? [['memory', 'none'] as Row] : []),
        ['custom sections', list(m.custom_sections.map((c) => `${c.name} (${c.size} bytes)`))],
        ['host imports', list(rt.host_imports)],
        ['limits', limits],
      ]),
    );
  } else {
    parts.push(
      section(style, 'Runtime: container', [
        ['image', rt.repository],
        ['digest', rt.digest],
        ['user', rt.user],
        ['root fs', rt.read_only_rootfs ? 'read-only' : style.red('writable')],
        ['seccomp', rt.seccomp_profile],
        ['apparmor', rt.apparmor_profile],
        ['env', list(rt.env)],
        ['limits', limits],
      ]),
    );
  }
  parts.push(
    section(
      style,
      'Signatures',
      r.signatures.length === 0
        ? [['none', style.red('unsigned')]]
        : r.signatures.map((s) => signatureRow(style, s)),
    ),
  );
  if (r.verification !== undefined)
    parts.push(section(style, 'Verification', verdictRows(style, r.verification)));
  return parts.join('\n\n');
}
