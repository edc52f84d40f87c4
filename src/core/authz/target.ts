/**
 * Targets of an authorization (SPEC §9): host names, `*.` wildcards, IPv4/IPv6 addresses and CIDR ranges,
 * http(s) URL prefixes — parsing, normalization and matching. Never a DNS lookup: a name and an address are
 * different things and never match each other.
 *
 * Addresses live in one 128-bit space where IPv4 a.b.c.d is the IPv4-mapped IPv6 address ::ffff:a.b.c.d, so
 * "an IPv4-mapped IPv6 address counts as IPv4" holds by construction (an IPv6 range that contains part of
 * ::ffff:0:0/96 therefore also contains those IPv4 addresses). A single address is the range of one.
 */
import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';

export interface HostTarget {
  readonly kind: 'host';
  /** Lowercase ASCII (IDNs as punycode), no trailing dot. */
  readonly name: string;
}

export interface WildcardTarget {
  readonly kind: 'wildcard';
  /** The name below which everything matches: `example.com` for `*.example.com`. */
  readonly suffix: string;
}

export interface AddressRange {
  readonly kind: 'ip' | 'cidr';
  /** First and last address of the range in the unified 128-bit space. */
  readonly first: bigint;
  readonly last: bigint;
}

export interface UrlTarget {
  readonly kind: 'url';
  readonly scheme: 'http' | 'https';
  readonly host: HostTarget | AddressRange;
  /** The effective port: the one written, else 80 (http) or 443 (https). */
  readonly port: number;
  /** The path as written (case-sensitive), `/` when empty; query and fragment not included. */
  readonly path: string;
}

export type Target = HostTarget | WildcardTarget | AddressRange | UrlTarget;

/** A parsed target, or the reason the text is not one. */
export type ParsedTarget = { readonly target: Target } | { readonly problem: string };

/** Longest target text accepted (a URL with a long path still fits). */
export const MAX_TARGET_LENGTH = 2048;

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ALL_DIGITS = /^[0-9]+$/;
const V4_MAPPED_BASE = 0xffffn << 32n;
const ALL_ONES = (1n << 128n) - 1n;

/**
 * Normalizes an RFC 1123 host name: case folded, one trailing dot dropped, IDNs to punycode (WHATWG's
 * domainToASCII, UTS #46). Undefined when it is not a host name — including a name whose last label is all
 * digits (`300.1.1.1`), which is a malformed address, not a name.
 */
export function normalizeHostName(text: string): string | undefined {
  let name = /[^\x00-\x7f]/.test(text) ? domainToASCII(text) : text.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name.length === 0 || name.length > 253) return undefined;
  const labels = name.split('.');
  if (!labels.every((label) => LABEL.test(label))) return undefined;
  if (ALL_DIGITS.test(labels[labels.length - 1]!)) return undefined;
  return name;
}

function bigOf(bytes: readonly number[]): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** An IPv4 (strict dotted decimal, no leading zeros) or IPv6 (no zone) address in the unified space. */
function parseAddress(text: string): bigint | undefined {
  if (text.includes(':')) {
    if (text.includes('%') || !ipaddr.IPv6.isValid(text)) return undefined;
    return bigOf(ipaddr.IPv6.parse(text).toByteArray());
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
  return V4_MAPPED_BASE | bigOf(ipaddr.IPv4.parse(text).toByteArray());
}

function rangeOf(address: bigint, prefix: number, kind: AddressRange['kind']): AddressRange {
  const hostBits = ALL_ONES >> BigInt(prefix);
  const first = address & ~hostBits & ALL_ONES;
  return { kind, first, last: first | hostBits };
}

function parseCidr(text: string): ParsedTarget {
  const slash = text.indexOf('/');
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const address = parseAddress(addressText);
  if (address === undefined) return { problem: `${JSON.stringify(addressText)} is not an IP address` };
  const v6 = addressText.includes(':');
  const max = v6 ? 128 : 32;
  if (!/^(?:0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > max) {
    return { problem: `the prefix length must be a number from 0 to ${max}` };
  }
  // A CIDR with host bits set (192.0.2.7/24) is taken as its network (192.0.2.0/24).
  return { target: rangeOf(address, Number(prefixText) + (v6 ? 0 : 96), 'cidr') };
}

const URL_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/;
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

/** The host of a URL: a host name, an IPv4 address, or an IPv6 address in brackets. */
function parseUrlHost(text: string): HostTarget | AddressRange | undefined {
  if (text.startsWith('[') && text.endsWith(']')) {
    const inner = text.slice(1, -1);
    if (!inner.includes(':')) return undefined;
    const address = parseAddress(inner);
    return address === undefined ? undefined : rangeOf(address, 128, 'ip');
  }
  if (/^[0-9.]+$/.test(text)) {
    const address = parseAddress(text);
    return address === undefined ? undefined : rangeOf(address, 128, 'ip');
  }
  const name = normalizeHostName(text);
  return name === undefined ? undefined : { kind: 'host', name };
}

function parseUrl(scheme: string, authority: string, path: string): ParsedTarget {
  const lower = scheme.toLowerCase();
  if (lower !== 'http' && lower !== 'https') {
    return { problem: `only http and https URLs are targets, not ${lower}:` };
  }
  if (authority.includes('@')) return { problem: 'URLs with user info (user@host) are refused' };
  // host, then an optional :port; an IPv6 host is bracketed, so its colons are not the port's.
  let hostText = authority;
  let portText: string | undefined;
  const colon = authority.startsWith('[') ? authority.indexOf(']:') + 1 : authority.lastIndexOf(':');
  if (colon > 0) {
    hostText = authority.slice(0, colon);
    portText = authority.slice(colon + 1);
  }
  let port = lower === 'https' ? 443 : 80;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      return { problem: `the port ${JSON.stringify(portText)} is not a number from 1 to 65535` };
    }
    port = Number(portText);
  }
  const host = parseUrlHost(hostText);
  if (host === undefined) {
    return {
      problem: `${JSON.stringify(hostText)} is not a host name, an IPv4 address or a [bracketed] IPv6 address`,
    };
  }
  if (!PATH_CHARS.test(path) || BAD_ESCAPE.test(path)) {
    return { problem: 'the path holds characters a URL path cannot (escape them as %XX)' };
  }
  // Dot segments (also escaped: %2e%2e, or behind an escaped slash) would let `/api/../admin` pass as a path
  // below `/api/`: refused rather than resolved, as a server might resolve them differently.
  const decoded = path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
  if (decoded.split(/[/\\]/).some((segment) => segment === '.' || segment === '..')) {
    return { problem: 'the path holds a "." or ".." segment; write the path it stands for' };
  }
  return { target: { kind: 'url', scheme: lower, host, port, path: path === '' ? '/' : path } };
}

/**
 * Parses one target: as an authorization entry (`targets`, `exclude`; wildcards allowed) or as a job's
 * target (`allowWildcard: false`). URLs as entries take no query or fragment; a job's URL may have them (they
 * play no part in matching).
 */
export function parseTarget(text: string, options: { readonly allowWildcard: boolean }): ParsedTarget {
  if (text.length === 0) return { problem: 'is empty' };
  if (text.length > MAX_TARGET_LENGTH) return { problem: `is longer than ${MAX_TARGET_LENGTH} characters` };
  if (/[\x00-\x20\x7f]/.test(text)) return { problem: 'holds a space or a control character' };
  const url = URL_SHAPE.exec(text);
  if (url !== null) {
    const [, scheme, authority, path, query, fragment] = url as unknown as [
      string,
      string,
      string,
      string,
      string?,
      string?,
    ];
    if (options.allowWildcard && (query !== undefined || fragment !== undefined)) {
      return { problem: 'a URL entry takes no query (?) or fragment (#)' };
    }
    return parseUrl(scheme, authority, path);
  }
  if (text.includes('://')) return { problem: 'is not a URL of the form scheme://host[:port]/path' };
  if (text.includes('/')) return parseCidr(text);
  if (text.includes(':') || /^[0-9.]+$/.test(text)) {
    const address = parseAddress(text);
    return address === undefined
      ? { problem: 'is not a valid IP address' }
      : { target: rangeOf(address, 128, 'ip') };
  }
  if (text.startsWith('*.')) {
    if (!options.allowWildcard) return { problem: 'a wildcard is not a job target; name one host' };
    const suffix = normalizeHostName(text.slice(2));
    return suffix === undefined
      ? { problem: 'is not "*." followed by a host name' }
      : { target: { kind: 'wildcard', suffix } };
  }
  const name = normalizeHostName(text);
  return name === undefined
    ? { problem: 'is not a host name (RFC 1123), an IP address, a CIDR range or an http(s) URL' }
    : { target: { kind: 'host', name } };
}

function hostCovers(
  entry: HostTarget | WildcardTarget | AddressRange,
  host: HostTarget | AddressRange,
): boolean {
  if (entry.kind === 'host') return host.kind === 'host' && host.name === entry.name;
  if (entry.kind === 'wildcard') return host.kind === 'host' && host.name.endsWith(`.${entry.suffix}`);
  return host.kind !== 'host' && entry.first <= host.first && host.last <= entry.last;
}

/** `/api/` and `/api` both cover `/api/x`; `/api` does not cover `/apix`. */
function pathCovers(prefix: string, path: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith('/') || path.length === prefix.length || path[prefix.length] === '/';
}

function sameOrigin(a: UrlTarget, b: UrlTarget): boolean {
  if (a.scheme !== b.scheme || a.port !== b.port) return false;
  if (a.host.kind === 'host' || b.host.kind === 'host') {
    return a.host.kind === 'host' && b.host.kind === 'host' && a.host.name === b.host.name;
  }
  return a.host.first === b.host.first;
}

/**
 * Does `entry` match `target`? For a CIDR target, `mode` says what matching means: `contains` (the whole
 * range inside the entry: how `targets` entries cover) or `overlaps` (any address in common: how `exclude`
 * entries forbid). A job target is never a wildcard.
 */
export function entryMatches(entry: Target, target: Target, mode: 'contains' | 'overlaps'): boolean {
  switch (target.kind) {
    case 'url':
      if (entry.kind === 'url') return sameOrigin(entry, target) && pathCovers(entry.path, target.path);
      return hostCovers(entry, target.host);
    case 'host':
      return entry.kind !== 'url' && hostCovers(entry, target);
    case 'ip':
    case 'cidr':
      if (entry.kind !== 'ip' && entry.kind !== 'cidr') return false;
      return mode === 'contains'
        ? entry.first <= target.first && target.last <= entry.last
        : entry.first <= target.last && target.first <= entry.last;
    case 'wildcard':
      return false;
  }
}
