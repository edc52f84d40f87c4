/**
 * Starts the reference OCI registry (distribution, Debian package docker-registry) for a test: storage in a
 * temporary folder, listening on a free loopback port, optionally behind htpasswd Basic auth; stopped and
 * removed after the test.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

export interface RunningRegistry {
  readonly port: number;
  /** `127.0.0.1:PORT` */
  readonly authority: string;
  /** `oci://127.0.0.1:PORT/<namespace>` */
  url(namespace: string): string;
  readonly dir: string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });
}

function statusOf(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/v2/', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** An htpasswd line with a bcrypt hash, made by the real htpasswd tool (the format the registry reads). */
export async function htpasswdLine(user: string, password: string): Promise<string> {
  const { stdout } = await promisify(execFile)('htpasswd', ['-Bbn', user, password]);
  return stdout.trim();
}

export async function startRegistry(
  t: { after: (fn: () => Promise<void>) => void },
  options: { users?: Record<string, string> } = {},
): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'aurion-registry-'));
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((ok) => child?.once('exit', ok));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  t.after(stop);

  let auth = '';
  if (options.users !== undefined) {
    const lines = await Promise.all(Object.entries(options.users).map(([u, p]) => htpasswdLine(u, p)));
    await writeFile(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
    auth = `auth:\n  htpasswd:\n    realm: aurion-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  // A port can be taken between freePort() and the registry's bind; try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const config = join(dir, 'config.yml');
    await writeFile(
      config,
      `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n` +
        `    rootdirectory: ${join(dir, 'storage')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
    );
    const proc = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    let exited = false;
    proc.on('exit', () => {
      exited = true;
    });
    proc.on('error', () => {
      exited = true;
    });
    // Wait until GET /v2/ answers (200, or 401 behind auth); give up after ~15 s.
    for (let i = 0; i < 300 && !exited; i++) {
      const status = await statusOf(port);
      if (status === 200 || status === 401) {
        return {
          port,
          authority: `127.0.0.1:${port}`,
          url: (namespace) => `oci://127.0.0.1:${port}/${namespace}`,
          dir,
          stop,
        };
      }
      await sleep(50);
    }
    if (!exited) {
      proc.kill('SIGKILL');
      throw new Error(`docker-registry did not answer on port ${port}: ${stderr}`);
    }
    if (!/address already in use/.test(stderr)) throw new Error(`docker-registry failed to start: ${stderr}`);
  }
  throw new Error('docker-registry: no free port found');
}
