/**
 * OpenPGP signing (SPEC §5): a detached, armored, binary-mode signature over exact bytes, checked with the
 * verifier before it is handed out. openpgp.js is large: only ever import this module lazily (`await import()`).
 */
import * as openpgp from 'openpgp';
import { AurionError } from '../../errors.js';
import { CONFIG, errorText } from './config.js';
import type { PgpPrivateKey } from './keys.js';
import { verifyDetached } from './verify.js';

/**
 * A detached, ASCII-armored, binary-mode (type 0x00) signature over exactly `data`, SHA-256 or stronger
 * (SHA-512 for Ed25519 keys). The result is checked with verifyDetached before it is returned.
 */
export async function signDetached(
  key: PgpPrivateKey,
  data: Uint8Array,
  now: Date = new Date(),
): Promise<string> {
  const message = await openpgp.createMessage({ binary: data });
  let armored: string;
  try {
    armored = await openpgp.sign({
      message,
      signingKeys: key.key,
      detached: true,
      format: 'armored',
      date: now,
      config: CONFIG,
    });
  } catch (e) {
    throw new AurionError('KEY_INVALID', `cannot sign with OpenPGP key ${key.fingerprint}: ${errorText(e)}`, {
      cause: e,
    });
  }
  // Never hand out a signature our own verifier (and so GnuPG's rules as SPEC §5 states them) would refuse.
  const check = await verifyDetached(data, new TextEncoder().encode(armored), [key.publicKey], now);
  if (!check.ok) {
    throw new AurionError('INTERNAL', `the new OpenPGP signature does not verify: ${check.message}`);
  }
  return armored;
}
