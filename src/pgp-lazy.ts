/**
 * The OpenPGP functions for library users, loaded on first use: openpgp.js is heavy, and importing
 * 'aurion-plugin' must stay cheap for everyone who never touches OpenPGP.
 */
import type * as Pgp from './core/pgp.js';

const load = () => import('./core/pgp.js');

export const generatePgpKeyPair: typeof Pgp.generatePgpKeyPair = async (...args) =>
  (await load()).generatePgpKeyPair(...args);
export const loadPgpPublicKeys: typeof Pgp.loadPgpPublicKeys = async (...args) =>
  (await load()).loadPgpPublicKeys(...args);
export const loadPgpKeyring: typeof Pgp.loadPgpKeyring = async (...args) =>
  (await load()).loadPgpKeyring(...args);
export const mergePgpKeys: typeof Pgp.mergePgpKeys = async (...args) => (await load()).mergePgpKeys(...args);
export const loadPgpPrivateKey: typeof Pgp.loadPgpPrivateKey = async (...args) =>
  (await load()).loadPgpPrivateKey(...args);
export const signDetached: typeof Pgp.signDetached = async (...args) => (await load()).signDetached(...args);
export const verifyDetached: typeof Pgp.verifyDetached = async (...args) =>
  (await load()).verifyDetached(...args);
