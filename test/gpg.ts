/**
 * GnuPG as an independent oracle for the OpenPGP tests: every instance is a fresh temporary GNUPGHOME, driven
 * in batch mode (no pinentry, no prompts). Keys are Ed25519, so generating them takes milliseconds.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GpgResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface GpgOptions {
  /** Bytes fed to gpg's standard input. */
  readonly input?: string | Uint8Array;
  /** Run as if the clock showed this time (`--faked-system-time`, frozen). */
  readonly time?: Date;
  /** Passphrase for loopback pinentry (default: the empty passphrase, i.e. unprotected keys). */
  readonly passphrase?: string;
}

export interface GenKeyOptions {
  readonly algo?: string;
  readonly usage?: string;
  /** gpg expiry: `never`, `1d`, `seconds=N`, ... */
  readonly expire?: string;
  readonly time?: Date;
}

/** `20200101T000000!`: gpg's ISO form of a frozen faked time. */
function fakedTime(date: Date): string {
  return `${date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')}!`;
}

export class GnuPG {
  private files = 0;

  private constructor(readonly home: string) {}

  static async create(): Promise<GnuPG> {
    return new GnuPG(await mkdtemp(join(tmpdir(), 'aurion-gpg-')));
  }

  /** Stops this home's gpg-agent and removes the folder. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      const child = spawn('gpgconf', ['--homedir', this.home, '--kill', 'all'], { stdio: 'ignore' });
      child.on('error', () => resolve());
      child.on('close', () => resolve());
    });
    await rm(this.home, { recursive: true, force: true });
  }

  run(args: readonly string[], options: GpgOptions = {}): Promise<GpgResult> {
    const full = [
      '--homedir',
      this.home,
      '--batch',
      '--no-tty',
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      options.passphrase ?? '',
      ...(options.time === undefined ? [] : ['--faked-system-time', fakedTime(options.time)]),
      ...args,
    ];
    return new Promise((resolve, reject) => {
      const child = spawn('gpg', full, {
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C' },
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout!.on('data', (c: Buffer) => out.push(c));
      child.stderr!.on('data', (c: Buffer) => err.push(c));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({
          code: code ?? -1,
          stdout: Buffer.concat(out),
          stderr: Buffer.concat(err).toString('utf8'),
        }),
      );
      if (child.stdin !== null) {
        // gpg may exit (e.g. on an error) before reading all of its input; that is not the test's failure.
        child.stdin.on('error', () => {});
        child.stdin.end(options.input);
      }
    });
  }

  /** Like run, but throws with gpg's messages when it fails. */
  async ok(args: readonly string[], options: GpgOptions = {}): Promise<Buffer> {
    const r = await this.run(args, options);
    if (r.code !== 0) throw new Error(`gpg ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  /** Generates a key and returns its fingerprint (lowercase). */
  async genKey(userId: string, options: GenKeyOptions = {}): Promise<string> {
    await this.ok(
      [
        '--quick-gen-key',
        userId,
        options.algo ?? 'ed25519',
        options.usage ?? 'sign',
        options.expire ?? 'never',
      ],
      options.time === undefined ? {} : { time: options.time },
    );
    return this.fingerprintOf(userId);
  }

  /** Fingerprints (lowercase) of the primary key and subkeys of the key with this user ID. */
  async fingerprints(userId: string): Promise<string[]> {
    const out = (await this.ok(['--with-colons', '--list-keys', '--', `=${userId}`])).toString('utf8');
    return out
      .split('\n')
      .filter((l) => l.startsWith('fpr:'))
      .map((l) => l.split(':')[9]!.toLowerCase());
  }

  async fingerprintOf(userId: string): Promise<string> {
    const [fpr] = await this.fingerprints(userId);
    if (fpr === undefined) throw new Error(`gpg has no key ${userId}`);
    return fpr;
  }

  async exportPublic(...fingerprints: string[]): Promise<string> {
    return (await this.ok(['--armor', '--export', ...fingerprints])).toString('utf8');
  }

  async exportPublicBinary(...fingerprints: string[]): Promise<Buffer> {
    return this.ok(['--export', ...fingerprints]);
  }

  async exportSecret(fingerprint: string, passphrase?: string): Promise<string> {
    const opts = passphrase === undefined ? {} : { passphrase };
    return (await this.ok(['--armor', '--export-secret-keys', fingerprint], opts)).toString('utf8');
  }

  async import(key: string | Uint8Array, passphrase?: string): Promise<void> {
    await this.ok(['--import'], { input: key, ...(passphrase === undefined ? {} : { passphrase }) });
  }

  /** `gpg --armor --detach-sign` over `data` as the key `signer` (extra flags e.g. --textmode, --digest-algo). */
  async detachSign(
    signer: string,
    data: Uint8Array,
    extra: readonly string[] = [],
    options: GpgOptions = {},
  ) {
    const out = await this.ok(['--armor', '--detach-sign', '--local-user', signer, ...extra], {
      ...options,
      input: data,
    });
    return out.toString('utf8');
  }

  /** Writes data and signature to files and runs `gpg --verify SIG DATA`, as a user would after tar -xzf. */
  async verifyFiles(
    signature: string | Uint8Array,
    data: Uint8Array,
  ): Promise<GpgResult & { status: string }> {
    const n = this.files++;
    const sigPath = join(this.home, `signature-${n}.asc`);
    const dataPath = join(this.home, `manifest-${n}.json`);
    await writeFile(sigPath, signature);
    await writeFile(dataPath, data);
    const r = await this.run(['--status-fd', '1', '--verify', sigPath, dataPath]);
    return { ...r, status: r.stdout.toString('utf8') };
  }

  /** The revocation certificate gpg wrote when it generated the key, ready to import. */
  async revocationCertificate(fingerprint: string): Promise<string> {
    const dir = join(this.home, 'openpgp-revocs.d');
    const file = (await readdir(dir)).find((f) => f.toLowerCase() === `${fingerprint}.rev`);
    if (file === undefined) throw new Error(`no revocation certificate for ${fingerprint}`);
    // gpg prefixes the BEGIN line with ':' so that an accidental import does not revoke the key.
    return (await readFile(join(dir, file), 'utf8')).replace(/^:-----BEGIN/m, '-----BEGIN');
  }
}
