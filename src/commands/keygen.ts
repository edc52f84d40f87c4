import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';
import { AurionError } from '../errors.js';
import { exists } from '../io/files.js';
import { resolvePassphrase } from '../io/signing-keys.js';

interface KeygenOptions {
  readonly out: string;
  readonly type: string;
  readonly userId?: string;
  readonly passphraseFile?: string;
}

interface KeyFile {
  readonly path: string;
  readonly data: string;
  readonly mode: number;
}

/** ALREADY_EXISTS unless every path is free: checked before a key is made, so that none is made in vain. */
async function assertFree(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    if (await exists(path)) {
      throw new AurionError('ALREADY_EXISTS', `${path} already exists; keygen never overwrites a key`, {
        hint: 'choose another --out prefix, or move the old key away first',
      });
    }
  }
}

/** Writes all files or none: a failure (such as a file created meanwhile) removes what this call wrote. */
async function writeAllOrNothing(files: readonly KeyFile[]): Promise<void> {
  await assertFree(files.map((f) => f.path));
  const [{ writeFileAtomic }, { unlink }] = await Promise.all([
    import('../io/atomic.js'),
    import('node:fs/promises'),
  ]);
  const written: string[] = [];
  try {
    for (const f of files) {
      // overwrite: false links the file into place only if the name is still free (no race with another run).
      await writeFileAtomic(f.path, f.data, { mode: f.mode, overwrite: false });
      written.push(f.path);
    }
  } catch (e) {
    await Promise.all(written.map((p) => unlink(p).catch(() => {})));
    throw e;
  }
}

export function register(program: Command, cli: Cli): void {
  program
    .command('keygen')
    .description('make a signing key pair: PREFIX.key (private, mode 0600) and PREFIX.pub')
    .requiredOption('--out <prefix>', 'path prefix of the key files')
    .option('--type <type>', 'ed25519, or pgp for an OpenPGP key (container bundles)', 'ed25519')
    .option('--user-id <id>', 'OpenPGP user id, "Name <mail>" (required with --type pgp)')
    .option(
      '--passphrase-file <file>',
      'encrypt the private key with the passphrase in FILE (or AURION_KEY_PASSPHRASE)',
    )
    .action(async (opts: KeygenOptions) => {
      if (opts.type !== 'ed25519' && opts.type !== 'pgp') {
        throw new AurionError('USAGE', `unknown key type '${opts.type}'`, {
          hint: 'use --type ed25519 or --type pgp',
        });
      }
      if (opts.type === 'pgp' && opts.userId === undefined) {
        throw new AurionError('USAGE', '--type pgp needs --user-id "Name <mail>"');
      }
      if (opts.type === 'ed25519' && opts.userId !== undefined) {
        throw new AurionError('USAGE', '--user-id is only for --type pgp (Ed25519 keys carry no user id)');
      }
      const passphrase = await resolvePassphrase(opts.passphraseFile, cli.env);
      if (opts.type === 'pgp') {
        const files = {
          private_key: `${opts.out}.pgp.key`,
          public_key: `${opts.out}.pgp.pub`,
          revocation_certificate: `${opts.out}.pgp.rev`,
        };
        await assertFree(Object.values(files));
        const pgp = await import('../core/pgp.js');
        const pair = await pgp.generatePgpKeyPair(opts.userId!, passphrase);
        await writeAllOrNothing([
          { path: files.private_key, data: pair.privateArmored, mode: 0o600 },
          { path: files.public_key, data: pair.publicArmored, mode: 0o644 },
          { path: files.revocation_certificate, data: pair.revocationCertificate, mode: 0o600 },
        ]);
        cli.out.result({ fingerprint: pair.fingerprint, ...files }, (d) =>
          [
            `${cli.out.style.green('wrote')} ${d.private_key} (private key, mode 0600: keep it secret)`,
            `${cli.out.style.green('wrote')} ${d.public_key} (public key: give it to verifiers)`,
            `${cli.out.style.green('wrote')} ${d.revocation_certificate} (revocation certificate: keep it offline)`,
            `fingerprint: ${d.fingerprint}`,
          ].join('\n'),
        );
        return;
      }
      const files = { private_key: `${opts.out}.key`, public_key: `${opts.out}.pub` };
      await assertFree(Object.values(files));
      const { generateEd25519KeyPair } = await import('../core/keys.js');
      const pair = generateEd25519KeyPair(passphrase);
      await writeAllOrNothing([
        { path: files.private_key, data: pair.privatePem, mode: 0o600 },
        { path: files.public_key, data: pair.publicPem, mode: 0o644 },
      ]);
      cli.out.result({ key_id: pair.keyId, ...files }, (d) =>
        [
          `${cli.out.style.green('wrote')} ${d.private_key} (private key, mode 0600: keep it secret)`,
          `${cli.out.style.green('wrote')} ${d.public_key} (public key: give it to verifiers)`,
          `key id: ${d.key_id}`,
        ].join('\n'),
      );
    });
}
