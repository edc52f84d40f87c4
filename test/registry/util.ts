/** Helpers of the registry tests. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';

/** The pid of a process that has already exited. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((ok) => child.on('exit', ok));
  assert.ok(child.pid !== undefined);
  return child.pid;
}

/** A lock file's owner record, as lock.ts writes it. */
export function lockRecord(pid: number, host = hostname(), token = 'ab'.repeat(16)): string {
  return JSON.stringify({ pid, hostname: host, created_at: '2026-01-01T00:00:00.000Z', token });
}
