/**
 * The bundle format's constants (SPEC §4): the four entry names, their size limits, and the size syntax of
 * `--max-module-size`. Reader and writer both take their rules from here.
 */
import { AurionError } from '../../errors.js';

/** The only entry names a bundle may hold, compared byte for byte (no `./`, no folders). */
export const ENTRY = {
  manifest: 'manifest.json',
  module: 'module.wasm',
  ed25519: 'signature.ed25519',
  asc: 'signature.asc',
} as const;

export type EntryName = (typeof ENTRY)[keyof typeof ENTRY];

/** Largest entry sizes in bytes; each is checked from the tar header, before any data is read. */
export const DEFAULT_LIMITS = {
  manifest: 64 * 1024,
  signature: 16 * 1024,
  module: 512 * 1024 * 1024,
} as const;

/** The largest size and mtime a plain ustar header holds (11 octal digits); the writer needs no extensions. */
export const USTAR_MAX_NUMBER = 0o77777777777;

const UNITS: Record<string, number> = { '': 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/**
 * Parses a byte count with an optional binary suffix: "1048576", "64KiB", "512MiB", "1GiB" (SPEC §4).
 * Anything else, zero included, is a USAGE error.
 */
export function parseSize(text: string): number {
  const m = /^([0-9]+)(KiB|MiB|GiB)?$/.exec(text);
  const value = m === null ? Number.NaN : Number(m[1]) * UNITS[m[2] ?? '']!;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new AurionError('USAGE', `invalid size '${text}': expected a positive number of bytes`, {
      hint: 'write bytes with an optional KiB, MiB or GiB suffix, e.g. 1GiB or 1073741824',
    });
  }
  return value;
}

/** Renders a tar entry name for messages: printable ASCII as is, everything else escaped (no terminal tricks). */
export function describeName(name: string): string {
  let out = '';
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x20 && c < 0x7f && ch !== '"' && ch !== '\\') out += ch;
    else if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c <= 0xff) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += `\\u{${c.toString(16)}}`;
  }
  return `"${out}"`;
}
