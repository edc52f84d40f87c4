/**
 * Runs a container plugin with the hardened command (src/core/job/container.ts) through the engine on PATH:
 * the stdin object on its stdin, stdout collected within its cap, stderr passed through (at most MAX_STDERR),
 * the process killed at the deadline.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MAX_STDERR } from './wasm.js';

/** The engine's executable on PATH, or undefined. */
export function findOnPath(command: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export type ContainerOutcome =
  | { readonly kind: 'exited'; readonly status: number; readonly stdout: Uint8Array }
  | { readonly kind: 'signalled'; readonly signal: string }
  | { readonly kind: 'timed-out' }
  | { readonly kind: 'stdout-overflow' }
  | { readonly kind: 'spawn-failed'; readonly message: string };

export interface ContainerRunOptions {
  readonly executable: string;
  /** The argv after the engine's name. */
  readonly args: readonly string[];
  readonly stdin: Uint8Array;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly maxStdout: number;
  readonly onStderr?: (chunk: Uint8Array) => void;
}

export function runContainer(
  options: ContainerRunOptions,
): Promise<{ outcome: ContainerOutcome; stderrTruncated: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(options.executable, options.args, {
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stdoutSize = 0;
    let stderrKept = 0;
    let stderrTruncated = false;
    let settled: ContainerOutcome | undefined;
    const stop = (outcome: ContainerOutcome) => {
      settled ??= outcome;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop({ kind: 'timed-out' }), options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutSize += chunk.length;
      if (stdoutSize > options.maxStdout) stop({ kind: 'stdout-overflow' });
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const kept = chunk.subarray(0, Math.max(0, MAX_STDERR - stderrKept));
      stderrKept += kept.length;
      if (kept.length < chunk.length) stderrTruncated = true;
      if (kept.length > 0) options.onStderr?.(kept);
    });
    child.stdin.on('error', () => {
      // The plugin may exit without reading its stdin; its exit status tells what happened.
    });
    child.on('error', (e) => {
      settled ??= { kind: 'spawn-failed', message: e.message };
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const outcome: ContainerOutcome =
        settled ??
        (code === null
          ? { kind: 'signalled', signal: signal ?? 'unknown' }
          : { kind: 'exited', status: code, stdout: Buffer.concat(stdout) });
      resolve({ outcome, stderrTruncated });
    });
    child.stdin.end(options.stdin);
  });
}
