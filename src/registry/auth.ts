/**
 * Registry credentials and the challenge-response of the distribution API: anonymous first; on 401 the
 * `WWW-Authenticate` challenge says Basic (send the credentials) or Bearer (fetch a token from the realm with
 * the service and scope it names, with the credentials when there are any).
 *
 * Credentials come from AURION_REGISTRY_USERNAME/AURION_REGISTRY_PASSWORD, else from the `auths` section of the
 * Docker config ($DOCKER_CONFIG/config.json or $HOME/.docker/config.json). They are looked up only when a
 * registry asks for them, and sent only to the registry's own origin and to the token realm of a challenge from
 * that origin (RegistryAuth, used by the OCI client in oci.ts), over plain HTTP only to a loopback realm or a
 * registry that is itself plain HTTP.
 */
import { join } from 'node:path';
import { AurionError } from '../errors.js';
import { INPUT_LIMITS, readSmallFileIfExists } from '../io/files.js';
import {
  describeRefusal,
  drain,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  headerValue,
  MAX_ERROR_BODY,
  readBody,
  refusedError,
} from './http.js';
import { isLoopback } from './reference.js';

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

/** What a registry request asks to do in a repository: the actions of a token's scope. */
export type Actions = 'pull' | 'pull,push';

/**
 * The challenge-response flow of one registry: sends each request with the authorization that worked before
 * for its repository and actions, and answers one 401 challenge from the registry's own origin (Basic, or a
 * Bearer token from the realm). Credentials are looked up once, on the first challenge that needs them.
 */
export class RegistryAuth {
  private credentials: Promise<CredentialLookup> | undefined;
  /** Authorization values that worked, per repository and actions (Basic is the same for all). */
  private readonly authorizations = new Map<string, string>();
  private basic: string | undefined;

  /**
   * @param authority the registry as the user named it (`host[:port]`), for credentials and messages
   * @param base the origin the registry's API is served from: the only one credentials are sent to
   */
  constructor(
    private readonly authority: string,
    private readonly base: URL,
    private readonly http: HttpClient,
    private readonly env: Env,
  ) {}

  /** Sends a request with the authorization that works for the repository, answering one 401 challenge. */
  async send(repo: string, actions: Actions, req: HttpRequest): Promise<HttpResponse> {
    const known =
      this.basic ??
      this.authorizations.get(`${repo} ${actions}`) ??
      this.authorizations.get(`${repo} pull,push`);
    const first = await this.http.send(withAuthorization(req, known, this.base));
    if (first.status !== 401) return first;
    // Only the registry's own challenges are answered: one from elsewhere (a redirect's or an upload
    // location's target) would have us send the user's credentials to a server they did not name.
    if (first.url.origin !== this.base.origin) throw await this.foreignChallenge(first, req);
    const refusal = describeRefusal(await readBody(first, MAX_ERROR_BODY).catch(() => Buffer.alloc(0)));
    const challenges = parseChallenges(headerValue(first, 'www-authenticate') ?? '');
    const authorization = await this.authorize(challenges, repo, actions, known, refusal);
    const second = await this.http.send(withAuthorization(req, authorization, this.base));
    if (second.status !== 401) return second;
    if (second.url.origin !== this.base.origin) throw await this.foreignChallenge(second, req);
    const again = describeRefusal(await readBody(second, MAX_ERROR_BODY).catch(() => Buffer.alloc(0)));
    throw await this.authFailed(again ?? refusal);
  }

  private async authorize(
    challenges: Challenge[],
    repo: string,
    actions: Actions,
    failed: string | undefined,
    refusal: string | undefined,
  ): Promise<string> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer !== undefined) {
      const token = await this.fetchToken(bearer, repo, actions);
      const value = `Bearer ${token}`;
      if (value === failed) throw await this.authFailed(refusal);
      this.authorizations.set(`${repo} ${actions}`, value);
      return value;
    }
    if (basic !== undefined) {
      const lookup = await this.lookup();
      if (lookup.credentials === undefined) throw this.needsCredentials(lookup, refusal);
      const value = basicAuthorization(lookup.credentials);
      if (value === failed) throw await this.authFailed(refusal);
      this.basic = value;
      return value;
    }
    throw new AurionError(
      'REGISTRY_ERROR',
      `registry ${this.authority} asks for an authentication scheme aurion-plugin does not support` +
        `${challenges.length > 0 ? ` (${challenges.map((c) => c.scheme).join(', ')})` : ' (no WWW-Authenticate challenge)'}`,
    );
  }

  /** The token flow: GET realm?service=…&scope=… with Basic credentials when there are any. */
  private async fetchToken(challenge: Challenge, repo: string, actions: Actions): Promise<string> {
    const realm = challenge.params['realm'];
    if (realm === undefined || realm === '') {
      throw new AurionError(
        'REGISTRY_ERROR',
        `registry ${this.authority} sent a Bearer challenge without a realm`,
      );
    }
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new AurionError(
        'REGISTRY_ERROR',
        `registry ${this.authority} sent an invalid token realm "${realm}"`,
      );
    }
    // Checked before any connection: the credentials go to this realm. Plain HTTP only on loopback, whatever
    // the registry is (--plain-http does not extend to where the credentials are sent).
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
      throw new AurionError(
        'REGISTRY_ERROR',
        `refusing the token realm ${url.href} of registry ${this.authority}: it is not HTTPS (plain HTTP is accepted only on a loopback address)`,
        { hint: 'ask the registry operator to serve the token endpoint over HTTPS' },
      );
    }
    const service = challenge.params['service'];
    if (service !== undefined) url.searchParams.set('service', service);
    const scopes = new Set((challenge.params['scope'] ?? '').split(' ').filter((s) => s !== ''));
    scopes.add(`repository:${repo}:${actions}`);
    for (const scope of scopes) url.searchParams.append('scope', scope);

    const lookup = await this.lookup();
    const headers: Record<string, string> = {};
    if (lookup.credentials !== undefined) headers['Authorization'] = basicAuthorization(lookup.credentials);
    const res = await this.http.send({ method: 'GET', url, headers });
    const body = await readBody(res, MAX_ERROR_BODY);
    if (res.status === 401 || res.status === 403) {
      const why = describeRefusal(body);
      if (lookup.credentials === undefined) throw this.needsCredentials(lookup, why);
      throw await this.authFailed(why);
    }
    if (res.status !== 200)
      throw refusedError(this.authority, res, body, `GET token ${url.origin}${url.pathname}`);
    return parseTokenResponse(body, `${url.origin}${url.pathname}`);
  }

  /** A 401 from another origin than the registry's: never answered (REGISTRY_ERROR naming that origin). */
  private async foreignChallenge(res: HttpResponse, req: HttpRequest): Promise<AurionError> {
    await drain(res);
    return new AurionError(
      'REGISTRY_ERROR',
      `${res.url.origin} asks for authentication (${req.method} ${req.url.pathname} of registry ${this.authority}, answered there); aurion-plugin sends registry credentials only to ${this.base.origin} and the token realm it names`,
      {
        hint: 'the registry handed the request to another server (blob storage, an upload service) that must accept it without credentials, e.g. by a pre-signed URL; ask the registry operator',
      },
    );
  }

  private lookup(): Promise<CredentialLookup> {
    this.credentials ??= lookupCredentials(this.authority, this.env);
    return this.credentials;
  }

  private needsCredentials(lookup: CredentialLookup, refusal: string | undefined): AurionError {
    return new AurionError(
      'REGISTRY_ERROR',
      `registry ${this.authority} requires authentication${refusal === undefined ? '' : `: ${refusal}`}`,
      {
        hint: `${lookup.note === undefined ? '' : `${lookup.note}; `}set AURION_REGISTRY_USERNAME and AURION_REGISTRY_PASSWORD, or log in (e.g. skopeo login ${this.authority}) so that ~/.docker/config.json holds the credentials`,
      },
    );
  }

  private async authFailed(refusal: string | undefined): Promise<AurionError> {
    const lookup = await this.lookup();
    const from =
      lookup.credentials === undefined
        ? 'anonymous access'
        : `the credentials from ${lookup.credentials.source}`;
    return new AurionError(
      'REGISTRY_ERROR',
      `registry ${this.authority} refused ${from}${refusal === undefined ? '' : `: ${refusal}`}`,
      {
        hint:
          lookup.credentials === undefined
            ? `set AURION_REGISTRY_USERNAME and AURION_REGISTRY_PASSWORD${lookup.note === undefined ? '' : ` (${lookup.note})`}`
            : 'check the user name and password (or token) and that the account may access this repository',
      },
    );
  }
}

/**
 * The token of a token server's answer (`{"token": ...}` or `{"access_token": ...}`); REGISTRY_ERROR when it
 * holds none that can go into an Authorization header. `server` names the server in messages.
 */
export function parseTokenResponse(body: Uint8Array, server: string): string {
  let token: unknown;
  try {
    const v = JSON.parse(Buffer.from(body).toString('utf8')) as { token?: unknown; access_token?: unknown };
    token = typeof v.token === 'string' && v.token !== '' ? v.token : v.access_token;
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string' || token === '') {
    throw new AurionError('REGISTRY_ERROR', `token server ${server} sent no token`);
  }
  // Tokens are visible ASCII (RFC 6750 b64token, JWTs); anything else cannot go into an Authorization header.
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new AurionError(
      'REGISTRY_ERROR',
      `token server ${server} sent a token with characters other than visible ASCII`,
    );
  }
  return token;
}

function withAuthorization(req: HttpRequest, authorization: string | undefined, base: URL): HttpRequest {
  // Credentials go to the registry's own origin only, never to an upload location elsewhere.
  if (authorization === undefined || req.url.origin !== base.origin) return req;
  return { ...req, headers: { ...req.headers, Authorization: authorization } };
}
