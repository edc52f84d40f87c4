/** Test helpers shared by unit and end-to-end tests. */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AurionError, type ErrorCode } from '../src/errors.js';

/** The repository root (tests run compiled from dist/test/, so walk up to package.json). */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();
export const BIN = join(ROOT, 'bin', 'aurion-plugin.js');
export const SHARED = join(ROOT, '..', 'shared');

/** Asserts that `fn` throws (or rejects with) an AurionError with the given code; returns it. */
export async function expectAurionError(fn: () => unknown, code: ErrorCode): Promise<AurionError> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof AurionError)) throw e;
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  assert.fail(`expected an AurionError ${code}, but nothing was thrown`);
}

/** A fresh temporary folder, removed after the test. */
export async function tempDir(t: { after: (fn: () => Promise<void>) => void }, prefix = 'aurion-test-') {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (when --json was given). */
  // biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON output, asserted field by field in tests
  readonly json: any;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string | undefined>;
  readonly input?: string | Buffer;
}

/** Runs the real CLI (bin/aurion-plugin.js) as a subprocess. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env, stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      let json: unknown;
      if (args.includes('--json')) {
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
      }
      resolve({ code: code ?? -1, stdout, stderr: Buffer.concat(err).toString('utf8'), json });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Runs the real CLI on a pseudo-terminal (util-linux `script`), as a user's shell would; resolves with what the
 * terminal showed, stdout and stderr together.
 */
export function runCliOnTty(args: readonly string[]): Promise<string> {
  return new Promise<string>((ok, fail) => {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { env: { ...process.env, NO_COLOR: '1' } },
      (e, stdout) => (e === null ? ok(stdout) : fail(e)),
    );
  });
}

/** Asserts a failed --json run: exit code and error code. */
export function assertCliError(r: RunResult, exitCode: number, code: ErrorCode): void {
  assert.equal(r.code, exitCode, `exit code ${r.code} (stderr: ${r.stderr})`);
  assert.ok(r.json, `stdout is not JSON: ${r.stdout}`);
  assert.equal(r.json.ok, false);
  assert.equal(r.json.error.code, code, `error ${JSON.stringify(r.json.error)}`);
}
