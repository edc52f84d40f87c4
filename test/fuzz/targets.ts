/**
 * The fuzzing targets: every parser that takes bytes an attacker can write (docs/fuzzing.md). One entry per
 * target; adding a parser is adding an entry here and a folder of seeds under test/fuzz/corpus/<name>/.
 *
 * A target's `run` feeds one input to the parser. The oracle (engine.ts) accepts a return or an AurionError
 * (other than INTERNAL); anything else thrown, or a run slower than the time bound, is a failure.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { validateHeaderValue } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseAuthorization, parseTarget } from '../../src/core/authz/index.js';
import { TarParser } from '../../src/core/bundle/tar.js';
import { parseEnvelope } from '../../src/core/envelope.js';
import { parseManifest } from '../../src/core/manifest.js';
import type { PgpPublicKey } from '../../src/core/pgp/keys.js';
import { parseTrustPolicy } from '../../src/core/policy.js';
import { WasmScanner } from '../../src/core/wasm/scanner.js';
import { AurionError } from '../../src/errors.js';
import { registryIndex } from '../../src/generated/validators.js';
import { readBundle, scanBundle } from '../../src/io/bundle-file.js';
import { readOwner } from '../../src/io/lock.js';
import { parseChallenges, parseTokenResponse } from '../../src/registry/auth.js';
import { parseRegistryIndex } from '../../src/registry/directory.js';
import { describeRefusal } from '../../src/registry/http.js';
import { bundleLayer } from '../../src/registry/oci-artifact.js';
import { ROOT } from '../helpers.js';

export interface FuzzTarget {
  /** Also the seed folder: test/fuzz/corpus/<name>/. */
  readonly name: string;
  readonly description: string;
  /** Feeds one input; returns (accepted) or throws (an AurionError is a refusal, anything else a bug). */
  readonly run: (input: Buffer) => unknown;
  /** Relative weight of the target's share of iterations in a bounded run (default 1). */
  readonly weight?: number;
  /** false for parsers that never refuse (they make the best of any input): no refusal is expected. */
  readonly refuses?: false;
}

let scratch: string | undefined;
/** Writes the input to a file in a scratch folder (for parsers that take a path); removed when the process exits. */
export function scratchFile(input: Buffer): string {
  if (scratch === undefined) {
    // Memory-backed where there is one: rewriting a file on a disk costs more than parsing it.
    let dir: string;
    try {
      dir = mkdtempSync('/dev/shm/aurion-fuzz-');
    } catch {
      dir = mkdtempSync(join(tmpdir(), 'aurion-fuzz-'));
    }
    scratch = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const path = join(scratch, 'input.aurion');
  writeFileSync(path, input);
  return path;
}

/** Split points derived from the input itself, so a run is reproducible from the input alone. */
function chunks(input: Buffer): Buffer[] {
  if (input.length < 2) return [input];
  const a = (input[0]! * 7 + input.length) % input.length;
  const b = (input[input.length - 1]! * 13 + 1) % input.length;
  const [lo, hi] = a < b ? [a, b] : [b, a];
  return [input.subarray(0, lo), input.subarray(lo, hi), input.subarray(hi)];
}

/** A run's outcome, for differential checks: the result as text, or the AurionError it threw. */
function outcome(fn: () => unknown): { readonly text: string; readonly error?: AurionError } {
  try {
    return { text: `ok ${JSON.stringify(fn(), (_, v) => (typeof v === 'bigint' ? v.toString() : v))}` };
  } catch (e) {
    if (e instanceof AurionError) return { text: `${e.code} ${e.message}`, error: e };
    throw e;
  }
}

/** Thrown when two ways of parsing the same input disagree: a bug the oracle reports like a crash. */
export class Disagreement extends Error {
  override readonly name = 'Disagreement';
}

/** Parses the input whole and in chunks: the outcomes must be the same (the refusal is rethrown). */
function sameOutcome(what: string, parse: (split: boolean) => unknown): void {
  const whole = outcome(() => parse(false));
  const pieces = outcome(() => parse(true));
  if (whole.text !== pieces.text) {
    throw new Disagreement(`${what}: the whole input gives ${whole.text}; in chunks, ${pieces.text}`);
  }
  if (whole.error !== undefined) throw whole.error;
}

function tarEntries(input: Buffer, split: boolean): unknown {
  const entries: unknown[] = [];
  let bytes = 0;
  const parser = new TarParser('fuzz.tar', {
    entry: (e) => entries.push(e),
    data: (chunk) => {
      bytes += chunk.length;
    },
    entryEnd: () => entries.push(bytes),
  });
  for (const piece of split ? chunks(input) : [input]) parser.push(piece);
  parser.finish();
  return entries;
}

function wasmInfo(input: Buffer, split: boolean): unknown {
  const scanner = new WasmScanner({ source: 'fuzz.wasm' });
  for (const piece of split ? chunks(input) : [input]) scanner.push(piece);
  return scanner.finish();
}

const policyContext = {
  source: 'fuzz-policy.json',
  readKeyFile: async (path: string): Promise<Uint8Array> => {
    throw new AurionError('IO_ERROR', `cannot read ${path}: the fuzzing harness reads no files`);
  },
};

/** What the pgp-signature seeds sign (make-corpus.ts), and the key they are checked against. */
export const PGP_SIGNED_DATA = Buffer.from('the manifest bytes a container bundle signs\n');
let pgpTrusted: Promise<PgpPublicKey[]> | undefined;
async function verifyPgp(input: Buffer): Promise<unknown> {
  // openpgp.js is heavy: loaded only by this target.
  const pgp = await import('../../src/core/pgp/index.js');
  pgpTrusted ??= pgp.loadPgpPublicKeys(
    readFileSync(join(ROOT, 'keys-example', 'example.pgp.pub')),
    'keys-example/example.pgp.pub',
  );
  const verdict = await pgp.verifyDetached(
    PGP_SIGNED_DATA,
    input,
    await pgpTrusted,
    new Date('2027-01-01T00:00:00Z'),
  );
  // verifyDetached reports a refusal as a value; as an AurionError it is counted like the other targets' refusals.
  if (!verdict.ok) throw new AurionError(verdict.code, verdict.message);
  return verdict;
}

export const TARGETS: readonly FuzzTarget[] = [
  {
    name: 'bundle',
    description: 'readBundle over a whole bundle file (gzip + tar + bundle policy + manifest)',
    run: async (input) => readBundle(scratchFile(input), { hashBundle: true }),
    weight: 2,
  },
  {
    name: 'bundle-tar',
    description: 'readBundle over gzip of mutated tar bytes (reaches the tar and bundle rules past gzip)',
    run: async (input) => readBundle(scratchFile(gzipSync(input)), {}),
    weight: 2,
  },
  {
    name: 'gzip',
    description:
      'gzip framing through the streaming reader (headers, flags, members, trailers, trailing data)',
    run: async (input) => scanBundle(scratchFile(input), {}, () => {}),
  },
  {
    name: 'tar',
    description: 'the tar parser alone, fed whole and in chunks (both must agree)',
    run: (input) => sameOutcome('tar', (split) => tarEntries(input, split)),
    weight: 2,
  },
  {
    name: 'wasm',
    description: 'the streaming wasm scanner, fed whole and in chunks (both must agree)',
    run: (input) => sameOutcome('wasm', (split) => wasmInfo(input, split)),
    weight: 2,
  },
  {
    name: 'manifest',
    description: 'manifest.json, source form and in-bundle form',
    run: (input) => {
      outcome(() => parseManifest(input, { source: 'fuzz/manifest.json' }));
      return parseManifest(input, { source: 'fuzz.aurion:manifest.json', inBundle: true });
    },
  },
  {
    name: 'envelope',
    description: 'the Ed25519 signature envelope (signature.ed25519)',
    run: (input) => parseEnvelope(input, 'fuzz.aurion:signature.ed25519'),
  },
  {
    name: 'authorization',
    description: 'an authorization envelope (DSSE) and its statement, SPEC §9',
    run: (input) => parseAuthorization(input, 'fuzz-authorization.json'),
  },
  {
    name: 'authz-target',
    description: 'a job target or authorization entry (host name, IP, CIDR, URL), SPEC §9',
    run: (input) => {
      // parseTarget reports a problem instead of throwing; the oracle wants refusals as AurionErrors.
      const text = new TextDecoder().decode(input);
      const asEntry = parseTarget(text, { allowWildcard: true });
      const asJob = parseTarget(text, { allowWildcard: false });
      for (const parsed of [asEntry, asJob]) {
        if ('problem' in parsed) throw new AurionError('REQUEST_INVALID', `${text} ${parsed.problem}`);
      }
    },
  },
  {
    name: 'policy',
    description: 'trust-policy.json with inline Ed25519 and OpenPGP keys',
    run: (input) => parseTrustPolicy(input, policyContext),
  },
  {
    name: 'pgp-signature',
    description:
      'a detached OpenPGP signature (signature.asc of a container bundle), verified with openpgp.js',
    run: verifyPgp,
  },
  {
    name: 'registry-index',
    description: "a directory registry's index.json",
    run: (input) => {
      const index = parseRegistryIndex(input, 'fuzz/index.json');
      // The fast check (index-shape.ts) may spare the schema validator only what the schema accepts.
      if (!registryIndex.quick(index)) throw new Error('an index the schema refuses was accepted');
      return index;
    },
  },
  {
    name: 'oci-manifest',
    description: 'an OCI image manifest from a registry, with and without a Content-Type',
    run: (input) => {
      outcome(() => bundleLayer(input, 'fuzz.example/p:1', 'application/vnd.oci.image.manifest.v1+json'));
      return bundleLayer(input, 'fuzz.example/p:1');
    },
  },
  {
    name: 'oci-token',
    description: "a token server's JSON answer",
    run: (input) => {
      const token = parseTokenResponse(input, 'https://fuzz.example/token');
      // The contract: a token it returns can be sent; Node throws ERR_INVALID_CHAR for one that cannot.
      validateHeaderValue('Authorization', `Bearer ${token}`);
      return token;
    },
  },
  {
    name: 'registry-refusal',
    description: "a registry's or token server's error body, as shown to the user; never throws",
    run: (input) => describeRefusal(input),
    refuses: false,
  },
  {
    name: 'lock-owner',
    description: "a directory registry's .index.lock, which any co-user of the folder can write",
    run: async (input) => {
      // readOwner reports a lock file it did not write as 'unreadable'; counted as a refusal.
      const owner = await readOwner(scratchFile(input));
      if (owner === 'unreadable') throw new AurionError('REGISTRY_ERROR', 'the lock file is unreadable');
      return owner;
    },
  },
  {
    name: 'www-authenticate',
    description: 'a WWW-Authenticate header (latin1, as Node hands headers over); never throws',
    run: (input) => parseChallenges(input.toString('latin1')),
    refuses: false,
  },
];
