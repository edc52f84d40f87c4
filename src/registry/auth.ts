/**
 * Registry credentials and the challenge-response of the distribution API: anonymous first; on 401 the
 * `WWW-Authenticate` challenge says Basic (send the credentials) or Bearer (fetch a token from the realm with
 * the service and scope it names, with the credentials when there are any).
 *
 * Credentials come from AURION_REGISTRY_USERNAME/AURION_REGISTRY_PASSWORD, else from the `auths` section of the
 * Docker config ($DOCKER_CONFIG/config.json or $HOME/.docker/config.json). They are looked up only when a
 * registry asks for them, and sent only to the registry's own origin and to the token realm of a challenge from
 * that origin (oci.ts), over plain HTTP only to a loopback realm or a registry that is itself plain HTTP.
 */
import { join } from 'node:path';
import { AurionError } from '../errors.js';
import { INPUT_LIMITS, readSmallFileIfExists } from '../io/files.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
  /** Where they came from, for messages (never the values). */
  readonly source: string;
}

/** What a failed login can tell the user about where credentials were looked for. */
export interface CredentialLookup {
  readonly credentials?: Credentials;
  /** A note for the error hint, e.g. that a credential helper holds them. */
  readonly note?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Docker Hub's registry is configured under its legacy index address. */
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The authority a Docker config key stands for: scheme, path and case removed. */
export function normalizeAuthKey(key: string): string {
  const host = key
    .trim()
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return DOCKER_HUB.has(host) ? 'docker.io' : host;
}

/** Looks up credentials for `authority` (`host[:port]`): environment first, then the Docker config. */
export async function lookupCredentials(authority: string, env: Env): Promise<CredentialLookup> {
  const user = env['AURION_REGISTRY_USERNAME'];
  const password = env['AURION_REGISTRY_PASSWORD'];
  if (user !== undefined || password !== undefined) {
    if (user === undefined || password === undefined || user === '') {
      throw new AurionError(
        'USAGE',
        'AURION_REGISTRY_USERNAME and AURION_REGISTRY_PASSWORD must be set together (and the username not empty)',
      );
    }
    return { credentials: { username: user, password, source: 'AURION_REGISTRY_USERNAME/PASSWORD' } };
  }
  const configPath =
    env['DOCKER_CONFIG'] !== undefined && env['DOCKER_CONFIG'] !== ''
      ? join(env['DOCKER_CONFIG'], 'config.json')
      : env['HOME'] !== undefined && env['HOME'] !== ''
        ? join(env['HOME'], '.docker', 'config.json')
        : undefined;
  if (configPath === undefined) return {};
  // A regular file of at most INPUT_LIMITS.dockerConfig bytes (SPEC §2); IO_ERROR otherwise, absent is fine.
  const bytes = await readSmallFileIfExists(configPath, 'Docker config', INPUT_LIMITS.dockerConfig);
  if (bytes === undefined) return {};
  return credentialsFromDockerConfig(bytes.toString('utf8'), configPath, authority);
}

/** Finds `authority` in a Docker config's `auths` (base64 `auth` = "user:password", or username/password). */
export function credentialsFromDockerConfig(
  text: string,
  configPath: string,
  authority: string,
): CredentialLookup {
  let config: {
    auths?: Record<
      string,
      { auth?: unknown; username?: unknown; password?: unknown; identitytoken?: unknown }
    >;
    credsStore?: unknown;
    credHelpers?: Record<string, unknown>;
  };
  try {
    config = JSON.parse(text);
  } catch (e) {
    throw new AurionError('REGISTRY_ERROR', `${configPath} is not valid JSON: ${(e as Error).message}`, {
      hint: 'fix the file, or set AURION_REGISTRY_USERNAME and AURION_REGISTRY_PASSWORD instead',
    });
  }
  const wanted = normalizeAuthKey(authority);
  const auths = typeof config.auths === 'object' && config.auths !== null ? config.auths : {};
  for (const [key, entry] of Object.entries(auths)) {
    if (normalizeAuthKey(key) !== wanted || typeof entry !== 'object' || entry === null) continue;
    const source = `${configPath} (auths["${key}"])`;
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) {
        throw new AurionError(
          'REGISTRY_ERROR',
          `the "auth" field of ${source} is not base64 of "user:password"`,
          {
            hint: `log in again (e.g. skopeo login ${authority}) or set AURION_REGISTRY_USERNAME/PASSWORD`,
          },
        );
      }
      return {
        credentials: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source },
      };
    }
    if (typeof entry.username === 'string' && typeof entry.password === 'string' && entry.username !== '') {
      return { credentials: { username: entry.username, password: entry.password, source } };
    }
    if (typeof entry.identitytoken === 'string') {
      return { note: `${source} holds an identity token, which aurion-plugin does not use` };
    }
  }
  const helper = config.credHelpers?.[authority] ?? config.credsStore;
  if (typeof helper === 'string' && helper !== '') {
    return {
      note: `${configPath} keeps credentials in the credential helper "docker-credential-${helper}", which aurion-plugin does not run`,
    };
  }
  return {};
}

export interface Challenge {
  /** Lowercase scheme: `basic`, `bearer`. */
  readonly scheme: string;
  /** Auth parameters, names lowercased: realm, service, scope, error. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses a WWW-Authenticate header (RFC 7235): one or more challenges, each a scheme followed by
 * comma-separated `name=value` or `name="quoted value"` parameters.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Array<{ scheme: string; params: Record<string, string> }> = [];
  let pos = 0;
  const skipSpace = () => {
    while (pos < header.length && /[\s,]/.test(header[pos]!)) pos++;
  };
  const token = () => {
    const m = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(header.slice(pos));
    if (m === null) return undefined;
    pos += m[0].length;
    return m[0];
  };
  while (pos < header.length) {
    skipSpace();
    const name = token();
    if (name === undefined) {
      pos++;
      continue;
    }
    let p = pos;
    while (p < header.length && header[p] === ' ') p++;
    if (header[p] === '=' && challenges.length > 0) {
      // name=value: a parameter of the current challenge
      pos = p + 1;
      while (pos < header.length && header[pos] === ' ') pos++;
      let value = '';
      if (header[pos] === '"') {
        pos++;
        while (pos < header.length && header[pos] !== '"') {
          if (header[pos] === '\\' && pos + 1 < header.length) pos++;
          value += header[pos];
          pos++;
        }
        pos++;
      } else {
        value = token() ?? '';
        // token68 values may end in '='
        while (header[pos] === '=') value += header[pos++];
      }
      challenges[challenges.length - 1]!.params[name.toLowerCase()] = value;
    } else {
      challenges.push({ scheme: name.toLowerCase(), params: {} });
    }
  }
  return challenges;
}

/** The Basic Authorization header value. */
export function basicAuthorization(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}
