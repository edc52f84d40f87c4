// `npm run fuzz`: fuzzes every target (or the named ones) for a while and prints per-target statistics.
// Options: --seconds N (per target, default 30), --runs N (per target, instead of a time budget), --seed N
// (default: random, printed), --slow-ms N (default 2000), --hang-ms N (default 10000), --target NAME
// (repeatable), --make-corpus (regenerate the seed-* files of test/fuzz/corpus/ and exit). Runs on the built
// harness (dist/test/fuzz/); `npm run fuzz` builds first. A failing input is written to fuzz-findings/ and
// the run exits 1. docs/fuzzing.md has the details.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    runs: { type: 'string' },
    seed: { type: 'string' },
    'slow-ms': { type: 'string' },
    'hang-ms': { type: 'string' },
    target: { type: 'string', multiple: true },
    'make-corpus': { type: 'boolean' },
  },
});

const number = (name, fallback) => {
  const text = values[name];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`fuzz: --${name} takes a whole number, not ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
};

if (values['make-corpus']) {
  const { makeCorpus } = await import(join(root, 'dist/test/fuzz/make-corpus.js'));
  await makeCorpus();
  console.log('fuzz: wrote the seed-* files of test/fuzz/corpus/');
  process.exit(0);
}

const { TARGETS } = await import(join(root, 'dist/test/fuzz/targets.js'));
const { fuzzTarget, formatReport, formatFailure } = await import(join(root, 'dist/test/fuzz/engine.js'));
const names = values.target ?? TARGETS.map((t) => t.name);
for (const name of names) {
  if (!TARGETS.some((t) => t.name === name)) {
    console.error(`fuzz: no target ${name}; the targets are ${TARGETS.map((t) => t.name).join(', ')}`);
    process.exit(2);
  }
}
const runs = number('runs', undefined);
const options = {
  seed: number('seed', Math.floor(Math.random() * 2 ** 31)),
  ...(runs === undefined ? { seconds: number('seconds', 30) } : { runs }),
  slowMs: number('slow-ms', 2000),
  hangMs: number('hang-ms', 10000),
};
console.log(
  `fuzz: seed ${options.seed}, ${runs === undefined ? `${options.seconds} s` : `${runs} inputs`} per target, ` +
    `slow > ${options.slowMs} ms, hang > ${options.hangMs} ms`,
);
let failed = 0;
for (const name of names) {
  let report;
  try {
    report = await fuzzTarget(name, options);
  } catch (e) {
    failed++;
    console.log(`${name}: the fuzzing worker failed: ${e?.stack ?? e}`);
    continue;
  }
  console.log(formatReport(report));
  if (report.failure !== undefined) {
    failed++;
    const dir = join(root, 'fuzz-findings');
    mkdirSync(dir, { recursive: true });
    const sha = createHash('sha256').update(report.failure.input).digest('hex').slice(0, 16);
    const file = join(dir, `${name}-${report.failure.kind}-${sha}`);
    writeFileSync(file, report.failure.input);
    console.log(`${formatFailure(report)}\n  saved to ${file}`);
  }
}
if (failed > 0) {
  console.log(
    `fuzz: ${failed} target(s) failed; see docs/fuzzing.md to turn a finding into a regression seed`,
  );
  process.exit(1);
}
