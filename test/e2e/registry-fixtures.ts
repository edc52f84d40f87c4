/** Shared set-up of the publish/pull end-to-end tests: keys, signed bundles, a registry path. */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ed25519Key, sha256, signedWasmBundle, type TestKey, writePem } from '../core/trust-fixtures.js';
import { tempDir } from '../helpers.js';

export const alice = ed25519Key();
export const bob = ed25519Key();

/** A folder with alice's and bob's public keys, a maker of signed dns-enum bundles, and a registry path. */
export async function setup(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  const aliceKey = await writePem(dir, 'alice.pub', alice.publicPem);
  const bobKey = await writePem(dir, 'bob.pub', bob.publicPem);
  const bundle = async (version = '1.2.0', options: { key?: TestKey; description?: string } = {}) =>
    (
      await signedWasmBundle(dir, options.key ?? alice, {
        name: `dns-enum-${version}-${randomBytes(3).toString('hex')}.aurion`,
        fields: {
          version,
          ...(options.description === undefined ? {} : { description: options.description }),
        },
      })
    ).path;
  return { dir, aliceKey, bobKey, bundle, registry: join(dir, 'registry') };
}

export const fileSha = async (path: string) => sha256(await readFile(path));
