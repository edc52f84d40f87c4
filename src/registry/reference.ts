/** Parsing the `--registry REG` and `NAME@VERSION` arguments of publish and pull (SPEC §7). */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PLUGIN_NAME, SEMVER } from '../core/versions.js';
import { AurionError } from '../errors.js';

export { PLUGIN_NAME, SEMVER };

export type RegistryRef = DirectoryRef | OciRef | HttpRef;

/** A directory registry served read-only over HTTP(S) (SPEC §11). */
export interface HttpRef {
  readonly kind: 'http';
  /** The registry folder's URL, with a trailing slash. */
  readonly url: URL;
}

export interface DirectoryRef {
  readonly kind: 'directory';
  /** Absolute path of the registry folder. */
  readonly path: string;
}

export interface OciRef {
  readonly kind: 'oci';
  /** Host name or address as written, without brackets: `localhost`, `127.0.0.1`, `::1`, `ghcr.io`. */
  readonly hostname: string;
  readonly port?: number;
  /** `host[:port]` as it appears in URLs and in ~/.docker/config.json (`[::1]:5000`). */
  readonly authority: string;
  /** Repository prefix, possibly empty: the repository of plugin N is `<namespace>/N`. */
  readonly namespace: string;
  /** Plain HTTP instead of HTTPS: loopback hosts, or asked for with --plain-http. */
  readonly plainHttp: boolean;
}

/** A path component of a repository name (OCI distribution spec). */
const REPO_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

const REG_HINT =
  'use a folder path, a file:// URL, https://HOST/PATH/ (read-only), or oci://HOST[:PORT]/NAMESPACE';

/**
 * True for hosts that never leave this machine: plain HTTP to them is allowed without --plain-http. Takes a
 * host name or address, IPv6 with or without the brackets `URL.hostname` keeps.
 */
export function isLoopback(host: string): boolean {
  const hostname = host.replace(/^\[(.*)\]$/, '$1');
  if (hostname.toLowerCase() === 'localhost' || hostname === '::1') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(hostname);
  return m?.slice(1).every((o) => Number(o) <= 255) === true;
}

/** Parses `--registry`: a directory (path or file:// URL) or an OCI registry (oci://HOST[:PORT]/NAMESPACE). */
export function parseRegistryRef(text: string, options: { plainHttp?: boolean } = {}): RegistryRef {
  if (text === '') throw new AurionError('USAGE', 'the registry must not be empty', { hint: REG_HINT });
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'oci') return parseOci(text, options.plainHttp === true);
  if (scheme === 'https' || scheme === 'http') return parseHttp(text, options.plainHttp === true);
  if (options.plainHttp === true) {
    throw new AurionError('USAGE', '--plain-http applies to oci:// and http:// registries only', {
      hint: REG_HINT,
    });
  }
  if (scheme === 'file') {
    try {
      return { kind: 'directory', path: fileURLToPath(text) };
    } catch (e) {
      throw new AurionError('USAGE', `invalid file URL ${text}: ${(e as Error).message}`, { hint: REG_HINT });
    }
  }
  if (scheme !== undefined) {
    throw new AurionError('USAGE', `unsupported registry URL scheme ${scheme}:// in ${text}`, {
      hint: REG_HINT,
    });
  }
  return { kind: 'directory', path: resolve(text) };
}

function parseHttp(text: string, plainHttp: boolean): HttpRef {
  let url: URL;
  try {
    url = new URL(text);
  } catch (e) {
    throw new AurionError('USAGE', `invalid registry URL ${text}: ${(e as Error).message}`, {
      hint: REG_HINT,
    });
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new AurionError('USAGE', `registry URL ${text} must not carry credentials, a query or a fragment`, {
      hint: 'write https://HOST/PATH/',
    });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol === 'http:' && !plainHttp && !isLoopback(host)) {
    throw new AurionError('USAGE', `plain http:// to ${url.host} is refused: it is not a loopback address`, {
      hint: 'use https://, or give --plain-http to accept an unauthenticated, unencrypted connection',
    });
  }
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return { kind: 'http', url };
}

function parseOci(text: string, plainHttpFlag: boolean): OciRef {
  const rest = text.slice('oci://'.length);
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const namespace = (slash === -1 ? '' : rest.slice(slash + 1)).replace(/\/+$/, '');
  const bad = (what: string) =>
    new AurionError('USAGE', `invalid OCI registry ${text}: ${what}`, {
      hint: 'write oci://HOST[:PORT]/NAMESPACE, e.g. oci://ghcr.io/my-org/plugins or oci://localhost:5000/plugins',
    });
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(authority);
  if (m === null) throw bad(`cannot read host and port from "${authority}"`);
  const hostname = m[1] ?? m[2]!;
  if (m[1] !== undefined ? !IPV6.test(hostname) || !hostname.includes(':') : !DNS_NAME.test(hostname)) {
    throw bad(`"${hostname}" is not a host name or address`);
  }
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) throw bad(`port ${m[3]} is out of range`);
  if (namespace !== '') {
    for (const component of namespace.split('/')) {
      if (!REPO_COMPONENT.test(component)) {
        throw bad(
          `namespace component "${component}" must be lowercase letters and digits, separated by '.', '_', '__' or '-'`,
        );
      }
    }
  }
  return {
    kind: 'oci',
    hostname,
    ...(port === undefined ? {} : { port }),
    authority: authority.toLowerCase(),
    namespace,
    plainHttp: plainHttpFlag || isLoopback(hostname),
  };
}

/** `oci://authority/namespace` for messages and JSON output. */
export function formatOciRef(ref: OciRef): string {
  return `oci://${ref.authority}${ref.namespace === '' ? '' : `/${ref.namespace}`}`;
}

/** Parses `NAME@VERSION` (SPEC §3 name and SemVer rules); USAGE otherwise. */
export function parsePluginRef(text: string): { name: string; version: string } {
  const at = text.indexOf('@');
  const name = at === -1 ? text : text.slice(0, at);
  const version = at === -1 ? '' : text.slice(at + 1);
  const hint = 'write NAME@VERSION, e.g. dns-enum@1.2.0';
  if (at === -1) throw new AurionError('USAGE', `"${text}" names no version`, { hint });
  if (!PLUGIN_NAME.test(name) || name.length > 64) {
    throw new AurionError('USAGE', `"${name}" in "${text}" is not a valid plugin name`, {
      hint: `${hint}; a name is 2-64 lowercase letters, digits and '-'`,
    });
  }
  if (!SEMVER.test(version)) {
    throw new AurionError('USAGE', `"${version}" in "${text}" is not a SemVer 2.0.0 version`, { hint });
  }
  return { name, version };
}
