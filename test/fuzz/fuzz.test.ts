/**
 * The fuzzing harness in `npm test`: every corpus file (seeds and crash reproducers) replayed through the
 * oracle, a short deterministic run of every target, and the harness's own checks (it must catch a crash, an
 * INTERNAL error, a slow input and an endless loop). `npm run fuzz` runs longer (docs/fuzzing.md).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CORPUS_DIR, type FuzzOptions, formatFailure, fuzzTarget, judge, loadCorpus } from './engine.js';
import { TARGETS } from './targets.js';

const SELF_TEST = new URL('./self-test-targets.js', import.meta.url);
/** The bounded run: fixed seed, a few hundred inputs per target (the bundle targets are the slow ones). */
const BOUNDED: FuzzOptions = { seed: 20261203, runs: 120, slowMs: 5000, hangMs: 15000 };

describe('fuzzing corpus', () => {
  it('every target has seeds, and every corpus folder has a target', () => {
    for (const t of TARGETS) assert.ok(loadCorpus(t.name).length > 0, `no seeds for ${t.name}`);
    const names = new Set(TARGETS.map((t) => t.name));
    for (const dir of readdirSync(CORPUS_DIR))
      assert.ok(names.has(dir), `corpus folder ${dir} has no target`);
  });

  for (const target of TARGETS) {
    // In-process, without the watchdog: the timeout stands in for it should a reproducer hang again.
    it(`${target.name}: every seed and reproducer passes the oracle`, { timeout: 60_000 }, async () => {
      for (const { name, bytes } of loadCorpus(target.name)) {
        const finding = await judge(target, bytes, BOUNDED.slowMs);
        assert.equal(finding, undefined, `${target.name}/${name}: ${finding?.kind}: ${finding?.message}`);
      }
    });
  }

  it('the valid seeds are accepted (the mutations start from inputs that reach every layer)', async () => {
    for (const target of TARGETS) {
      const accepted: string[] = [];
      for (const { name, bytes } of loadCorpus(target.name)) {
        try {
          await target.run(bytes);
          accepted.push(name);
        } catch {
          // seeds may be refusals on purpose (a symlink entry, a crash reproducer)
        }
      }
      assert.ok(accepted.length > 0, `no seed of ${target.name} is accepted`);
    }
  });
});

describe('fuzzing: bounded run', () => {
  for (const target of TARGETS) {
    it(`${target.name}`, async () => {
      const runs = Math.round(BOUNDED.runs! * (target.weight ?? 1));
      const report = await fuzzTarget(target.name, { ...BOUNDED, runs });
      assert.equal(report.failure, undefined, formatFailure(report));
      assert.equal(report.runs, runs);
      // Some inputs must get past the parser and some must be refused, or the run tested little.
      assert.ok(
        (report.outcomes['accepted'] ?? 0) > 0,
        `nothing accepted: ${JSON.stringify(report.outcomes)}`,
      );
      if (target.refuses !== false) {
        assert.ok(
          Object.keys(report.outcomes).length > 1,
          `nothing refused: ${JSON.stringify(report.outcomes)}`,
        );
      }
    });
  }
});

describe('fuzzing harness', () => {
  const options: FuzzOptions = { seed: 7, runs: 200, slowMs: 30, hangMs: 1500 };

  it('AurionError refusals are not failures, and are counted', async () => {
    const r = await fuzzTarget('self-test-refuses', options, SELF_TEST);
    assert.equal(r.failure, undefined);
    assert.equal(r.runs, 200);
    assert.equal((r.outcomes['accepted'] ?? 0) + (r.outcomes['BUNDLE_INVALID'] ?? 0), 200);
    assert.ok((r.outcomes['BUNDLE_INVALID'] ?? 0) > 0);
  });

  it('a TypeError is a crash, shrunk to the minimal input', async () => {
    const r = await fuzzTarget('self-test-type-error', options, SELF_TEST);
    assert.equal(r.failure?.kind, 'crash');
    assert.match(r.failure.message, /^TypeError: /);
    assert.deepEqual(r.failure.input, Buffer.from([0x42]));
    assert.equal(typeof r.failure.seed, 'number');
  });

  it('an AurionError INTERNAL is a crash', async () => {
    const r = await fuzzTarget('self-test-internal', options, SELF_TEST);
    assert.equal(r.failure?.kind, 'crash');
    assert.match(r.failure.message, /wrapped an unexpected error/);
    assert.equal(r.failure.input.length, 10);
  });

  it('an input slower than the bound is a failure, shrunk', async () => {
    const r = await fuzzTarget('self-test-slow', options, SELF_TEST);
    assert.equal(r.failure?.kind, 'slow');
    assert.deepEqual(r.failure.input, Buffer.from([0x07]));
  });

  it('an endless loop is stopped by the watchdog and reported with its input', async () => {
    const r = await fuzzTarget('self-test-hang', options, SELF_TEST);
    assert.equal(r.failure?.kind, 'hang');
    assert.ok(r.failure.input.length >= 4, `input ${r.failure.input.toString('hex')}`);
    assert.match(formatFailure(r), /self-test-hang: hang: no progress for 1500 ms/);
  });
});
