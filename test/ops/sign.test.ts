import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { verifyEd25519 } from '../../src/core/ed25519.js';
import { envelopeSignatures, parseEnvelope } from '../../src/core/envelope.js';
import { generateEd25519KeyPair, loadPrivateKey } from '../../src/core/keys.js';
import { readBundle } from '../../src/io/bundle-file.js';
import { signBundle } from '../../src/ops/sign.js';
import { writeTestBundle } from '../fixtures/bundles.js';
import { sha256 } from '../fixtures/digest.js';
import { seededModule } from '../fixtures/modules.js';
import { expectAurionError, tempDir } from '../helpers.js';

const newKey = () => loadPrivateKey(generateEd25519KeyPair().privatePem, undefined, 'k');

describe('signBundle', () => {
  it('writes signature.ed25519 whose signatures verify; the result names the file and its sha256', async (t) => {
    const dir = await tempDir(t);
    const path = await writeTestBundle(join(dir, 'b.aurion'));
    const key = newKey();
    const result = await signBundle(path, { key });
    assert.equal(result.bundle, path);
    assert.equal(result.keyId, key.publicKey.keyId);
    assert.equal(result.fingerprint, undefined);
    const bytes = await readFile(path);
    assert.equal(result.sha256, sha256(bytes));
    assert.equal(result.size, bytes.length);

    const signed = await readBundle(path);
    const envelope = parseEnvelope(signed.signatureEd25519!, 'signature.ed25519');
    const { signature, manifestSignature } = envelopeSignatures(envelope);
    const moduleDigest = createHash('sha256').update(seededModule()).digest();
    const manifestDigest = createHash('sha256').update(signed.manifestBytes).digest();
    assert.ok(verifyEd25519(key.publicKey, moduleDigest, signature));
    assert.ok(verifyEd25519(key.publicKey, manifestDigest, manifestSignature));
  });

  it('without a key is USAGE; an existing signature is ALREADY_EXISTS unless forced', async (t) => {
    const dir = await tempDir(t);
    const path = await writeTestBundle(join(dir, 'b.aurion'));
    await expectAurionError(() => signBundle(path, {}), 'USAGE');
    await signBundle(path, { key: newKey() });
    const signed = await readFile(path);
    await expectAurionError(() => signBundle(path, { key: newKey() }), 'ALREADY_EXISTS');
    assert.deepEqual(await readFile(path), signed);
    const other = newKey();
    const forced = await signBundle(path, { key: other, force: true, out: join(dir, 'c.aurion') });
    assert.equal(forced.keyId, other.publicKey.keyId);
    assert.deepEqual(await readFile(path), signed, 'out leaves the source alone');
  });

  it('keeps a signature.asc already in a container bundle when adding signature.ed25519', async (t) => {
    const dir = await tempDir(t);
    const asc = new TextEncoder().encode(
      '-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n',
    );
    const path = await writeTestBundle(join(dir, 'c.aurion'), { runtime: 'container', signatureAsc: asc });
    await signBundle(path, { key: newKey() });
    const signed = await readBundle(path);
    assert.deepEqual(new Uint8Array(signed.signatureAsc!), asc);
    assert.ok(signed.signatureEd25519 !== undefined);
  });
});
