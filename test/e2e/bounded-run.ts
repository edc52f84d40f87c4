/**
 * runCli with a deadline, for tests that feed the CLI files that could make it hang (FIFOs, devices): the
 * process is killed (SIGKILL) after 30 s, and the run then fails its asserts instead of stalling the suite.
 * Optionally as another user (uid/gid), for permission tests when the suite runs as root.
 */
import { spawn } from 'node:child_process';
import { BIN, ROOT, type RunResult } from '../helpers.js';

export const KILL_AFTER_MS = 30_000;

export interface BoundedRunOptions {
  readonly env?: Record<string, string>;
  readonly uid?: number;
  readonly gid?: number;
}

export function runBounded(args: readonly string[], options: BoundedRunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: 'pipe',
      timeout: KILL_AFTER_MS,
      killSignal: 'SIGKILL',
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      let json: unknown;
      try {
        json = args.includes('--json') ? JSON.parse(stdout) : undefined;
      } catch {
        json = undefined;
      }
      const killed =
        signal === null ? '' : `\n(killed by ${signal}: still running after ${KILL_AFTER_MS} ms)`;
      resolve({ code: code ?? -1, stdout, stderr: Buffer.concat(err).toString('utf8') + killed, json });
    });
    child.stdin.end();
  });
}
