/**
 * A small client of the OCI distribution API (v2): blob existence (HEAD), blob upload (POST, then one PUT with
 * the digest, or PATCH chunks and a closing PUT), manifest PUT and GET, blob GET. It authenticates on demand
 * (auth.ts), retries through http.ts, streams blobs, and checks every digest a registry sends back.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { AurionError } from '../errors.js';
import {
  basicAuthorization,
  type Challenge,
  type CredentialLookup,
  type Env,
  lookupCredentials,
  parseChallenges,
} from './auth.js';
import {
  DEFAULT_DEADLINES,
  type Deadlines,
  describeRefusal,
  drain,
  HttpClient,
  type HttpRequest,
  type HttpResponse,
  type RetryPolicy,
  readBody,
} from './http.js';
import { isLoopback, type OciRef } from './reference.js';

export const MEDIA_TYPE = {
  imageManifest: 'application/vnd.oci.image.manifest.v1+json',
  imageIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** Manifests are small JSON documents; anything larger is refused rather than buffered. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;
/** Blobs up to this size go up in one PUT; larger ones in PATCH chunks of this size. */
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;

export type Actions = 'pull' | 'pull,push';

export interface OciClientOptions {
  /** Credentials (AURION_REGISTRY_*) and where the Docker config is (HOME, DOCKER_CONFIG). */
  readonly env: Env;
  readonly retry?: Partial<RetryPolicy>;
  readonly timeoutMs?: number;
  /** Header and transfer-rate deadlines (default SPEC §7's; see also AURION_TEST_REGISTRY_DEADLINES). */
  readonly deadlines?: Partial<Deadlines>;
  readonly chunkSize?: number;
}

export interface BlobSource {
  /** `sha256:<hex>` */
  readonly digest: string;
  readonly size: number;
  /** Small blobs in memory, large ones from a file (streamed, never read whole). */
  readonly data: Uint8Array | { readonly path: string };
}

export interface FetchedManifest {
  readonly bytes: Buffer;
  /** `sha256:<hex>` of the bytes, checked against the registry's Docker-Content-Digest when it sends one. */
  readonly digest: string;
  readonly mediaType: string | undefined;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export class OciClient {
  readonly ref: OciRef;
  private readonly http: HttpClient;
  private readonly env: Env;
  private readonly chunkSize: number;
  private readonly base: URL;
  private credentials: Promise<CredentialLookup> | undefined;
  /** Authorization values that worked, per repository and actions (Basic is the same for all). */
  private readonly authorizations = new Map<string, string>();
  private basic: string | undefined;

  constructor(ref: OciRef, options: OciClientOptions) {
    this.ref = ref;
    this.env = options.env;
    this.http = new HttpClient({
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      deadlines: options.deadlines ?? testDeadlines(options.env),
    });
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    // Docker Hub serves the API under another name than the one users write.
    const authority = ref.authority === 'docker.io' ? 'registry-1.docker.io' : ref.authority;
    this.base = new URL(`${ref.plainHttp ? 'http' : 'https'}://${authority}`);
  }

  close(): void {
    this.http.close();
  }

  /** The repository of a plugin: `<namespace>/<name>`. */
  repository(name: string): string {
    return this.ref.namespace === '' ? name : `${this.ref.namespace}/${name}`;
  }

  /** The manifest under a tag or digest; undefined when the registry does not know it (404). */
  async getManifest(
    repo: string,
    reference: string,
    actions: Actions = 'pull',
  ): Promise<FetchedManifest | undefined> {
    const res = await this.request(repo, actions, {
      method: 'GET',
      url: this.url(`/v2/${repo}/manifests/${reference}`),
      headers: { Accept: Object.values(MEDIA_TYPE).join(', ') },
    });
    if (res.status === 404) {
      await drain(res);
      return undefined;
    }
    if (res.status !== 200) throw await this.refused(res, `GET manifest ${repo}:${reference}`);
    const bytes = await readBody(res, MAX_MANIFEST_BYTES);
    const digest = sha256Digest(bytes);
    const claimed = headerValue(res, 'docker-content-digest');
    const expected = reference.startsWith('sha256:')
      ? reference
      : claimed?.startsWith('sha256:')
        ? claimed
        : undefined;
    if (expected !== undefined && expected !== digest) {
      throw new AurionError(
        'DIGEST_MISMATCH',
        `manifest ${repo}:${reference} from ${this.ref.authority} has digest ${digest}, but the registry says ${expected}`,
        {
          hint: 'the registry or something between it and you altered the manifest; do not use this artifact',
        },
      );
    }
    return { bytes, digest, mediaType: headerValue(res, 'content-type')?.split(';')[0]?.trim() };
  }

  /** PUTs a manifest under a tag; returns its digest (checked against the registry's answer). */
  async putManifest(repo: string, tag: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const digest = sha256Digest(bytes);
    const res = await this.request(repo, 'pull,push', {
      method: 'PUT',
      url: this.url(`/v2/${repo}/manifests/${tag}`),
      headers: { 'Content-Type': mediaType },
      body: bytes,
    });
    if (res.status !== 201 && res.status !== 200)
      throw await this.refused(res, `PUT manifest ${repo}:${tag}`);
    await drain(res);
    const claimed = headerValue(res, 'docker-content-digest');
    if (claimed?.startsWith('sha256:') && claimed !== digest) {
      throw new AurionError(
        'REGISTRY_ERROR',
        `registry ${this.ref.authority} stored manifest ${repo}:${tag} as ${claimed}, but it is ${digest}`,
      );
    }
    return digest;
  }

  async blobExists(repo: string, digest: string, actions: Actions = 'pull'): Promise<boolean> {
    const res = await this.request(repo, actions, {
      method: 'HEAD',
      url: this.url(`/v2/${repo}/blobs/${digest}`),
    });
    await drain(res);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await this.refused(res, `HEAD blob ${repo}@${digest}`);
  }

  /**
   * Uploads a blob unless the repository has it already. Returns false when it was already there. Large blobs
   * go up in chunks (at least the registry's OCI-Chunk-Min-Length); `onProgress` gets bytes sent so far.
   */
  async uploadBlob(repo: string, blob: BlobSource, onProgress?: (done: number) => void): Promise<boolean> {
    if (await this.blobExists(repo, blob.digest, 'pull,push')) {
      onProgress?.(blob.size);
      return false;
    }
    const start = await this.request(repo, 'pull,push', {
      method: 'POST',
      url: this.url(`/v2/${repo}/blobs/uploads/`),
    });
    if (start.status !== 202) throw await this.refused(start, `POST blob upload ${repo}`);
    await drain(start);
    let location = this.location(start, `POST blob upload ${repo}`);
    const minChunk = Number(headerValue(start, 'oci-chunk-min-length') ?? 0);
    const chunkSize = Math.max(this.chunkSize, Number.isSafeInteger(minChunk) ? minChunk : 0);

    if (blob.data instanceof Uint8Array || blob.size <= chunkSize) {
      const url = withDigest(location, blob.digest);
      const body =
        blob.data instanceof Uint8Array ? blob.data : fileBody(blob.data.path, 0, blob.size, onProgress);
      await this.finishUpload(repo, blob, url, body, blob.size);
      if (blob.data instanceof Uint8Array) onProgress?.(blob.size);
      return true;
    }

    const path = blob.data.path;
    for (let offset = 0; offset < blob.size; offset += chunkSize) {
      const length = Math.min(chunkSize, blob.size - offset);
      const res = await this.request(repo, 'pull,push', {
        method: 'PATCH',
        url: location,
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Range': `${offset}-${offset + length - 1}`,
        },
        body: fileBody(path, offset, length, onProgress),
        bodyLength: length,
      });
      if (res.status !== 202) throw await this.refused(res, `PATCH blob upload ${repo}`);
      await drain(res);
      location = this.location(res, `PATCH blob upload ${repo}`);
    }
    await this.finishUpload(repo, blob, withDigest(location, blob.digest), undefined, 0);
    return true;
  }

  private async finishUpload(
    repo: string,
    blob: BlobSource,
    url: URL,
    body: HttpRequest['body'],
    length: number,
  ): Promise<void> {
    const res = await this.request(repo, 'pull,push', {
      method: 'PUT',
      url,
      headers: { 'Content-Type': 'application/octet-stream' },
      body,
      bodyLength: length,
    });
    if (res.status !== 201) throw await this.refused(res, `PUT blob ${repo}@${blob.digest}`);
    await drain(res);
    const claimed = headerValue(res, 'docker-content-digest');
    if (claimed !== undefined && claimed !== blob.digest) {
      throw new AurionError(
        'REGISTRY_ERROR',
        `registry ${this.ref.authority} stored blob ${blob.digest} of ${repo} as ${claimed}`,
      );
    }
  }

  /** The bytes of a blob, streamed; the caller checks them against the digest and size it expects. */
  async openBlob(repo: string, digest: string): Promise<HttpResponse> {
    const res = await this.request(repo, 'pull', {
      method: 'GET',
      url: this.url(`/v2/${repo}/blobs/${digest}`),
    });
    if (res.status !== 200) throw await this.refused(res, `GET blob ${repo}@${digest}`);
    return res;
  }

  private url(path: string): URL {
    return new URL(path, this.base);
  }

  private location(res: HttpResponse, what: string): URL {
    const location = headerValue(res, 'location');
    if (location === undefined) {
      throw new AurionError(
        'REGISTRY_ERROR',
        `registry ${this.ref.authority} sent no upload location (${what})`,
      );
    }
    const url = new URL(location, res.url);
    // Another origin gets the bytes but never the credentials (withAuthorization). Over plain HTTP it must be
    // on a loopback address, and only for a registry that is itself plain HTTP (no downgrade).
    if (
      url.origin !== this.base.origin &&
      url.protocol !== 'https:' &&
      !(url.protocol === 'http:' && this.base.protocol === 'http:' && isLoopbackHost(url.hostname))
    ) {
      throw new AurionError(
        'REGISTRY_ERROR',
        `registry ${this.ref.authority} sent a plain-HTTP upload location ${url.href}`,
        { hint: 'plain HTTP is accepted only on a loopback address; ask the registry operator to use HTTPS' },
      );
    }
    return url;
  }

  /** Sends a request with the authorization that works for the repository, answering one 401 challenge. */
  private async request(repo: string, actions: Actions, req: HttpRequest): Promise<HttpResponse> {
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
      `registry ${this.ref.authority} asks for an authentication scheme aurion-plugin does not support` +
        `${challenges.length > 0 ? ` (${challenges.map((c) => c.scheme).join(', ')})` : ' (no WWW-Authenticate challenge)'}`,
    );
  }

  /** The token flow: GET realm?service=…&scope=… with Basic credentials when there are any. */
  private async fetchToken(challenge: Challenge, repo: string, actions: Actions): Promise<string> {
    const realm = challenge.params['realm'];
    if (realm === undefined || realm === '') {
      throw new AurionError(
        'REGISTRY_ERROR',
        `registry ${this.ref.authority} sent a Bearer challenge without a realm`,
      );
    }
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new AurionError(
        'REGISTRY_ERROR',
        `registry ${this.ref.authority} sent an invalid token realm "${realm}"`,
      );
    }
    // Checked before any connection: the credentials go to this realm. Plain HTTP only on loopback, whatever
    // the registry is (--plain-http does not extend to where the credentials are sent).
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
      throw new AurionError(
        'REGISTRY_ERROR',
        `refusing the token realm ${url.href} of registry ${this.ref.authority}: it is not HTTPS (plain HTTP is accepted only on a loopback address)`,
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
      throw refusedError(this.ref.authority, res, body, `GET token ${url.origin}${url.pathname}`);
    return parseTokenResponse(body, `${url.origin}${url.pathname}`);
  }

  /** A 401 from another origin than the registry's: never answered (REGISTRY_ERROR naming that origin). */
  private async foreignChallenge(res: HttpResponse, req: HttpRequest): Promise<AurionError> {
    await drain(res);
    return new AurionError(
      'REGISTRY_ERROR',
      `${res.url.origin} asks for authentication (${req.method} ${req.url.pathname} of registry ${this.ref.authority}, answered there); aurion-plugin sends registry credentials only to ${this.base.origin} and the token realm it names`,
      {
        hint: 'the registry handed the request to another server (blob storage, an upload service) that must accept it without credentials, e.g. by a pre-signed URL; ask the registry operator',
      },
    );
  }

  private lookup(): Promise<CredentialLookup> {
    this.credentials ??= lookupCredentials(this.ref.authority, this.env);
    return this.credentials;
  }

  private needsCredentials(lookup: CredentialLookup, refusal: string | undefined): AurionError {
    return new AurionError(
      'REGISTRY_ERROR',
      `registry ${this.ref.authority} requires authentication${refusal === undefined ? '' : `: ${refusal}`}`,
      {
        hint: `${lookup.note === undefined ? '' : `${lookup.note}; `}set AURION_REGISTRY_USERNAME and AURION_REGISTRY_PASSWORD, or log in (e.g. skopeo login ${this.ref.authority}) so that ~/.docker/config.json holds the credentials`,
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
      `registry ${this.ref.authority} refused ${from}${refusal === undefined ? '' : `: ${refusal}`}`,
      {
        hint:
          lookup.credentials === undefined
            ? `set AURION_REGISTRY_USERNAME and AURION_REGISTRY_PASSWORD${lookup.note === undefined ? '' : ` (${lookup.note})`}`
            : 'check the user name and password (or token) and that the account may access this repository',
      },
    );
  }

  private async refused(res: HttpResponse, what: string): Promise<AurionError> {
    const body = await readBody(res, MAX_ERROR_BODY).catch(() => Buffer.alloc(0));
    return refusedError(this.ref.authority, res, body, what);
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

function refusedError(authority: string, res: HttpResponse, body: Buffer, what: string): AurionError {
  const why = describeRefusal(body);
  const denied = res.status === 403;
  return new AurionError(
    'REGISTRY_ERROR',
    `registry ${authority} refused ${what}: HTTP ${res.status}${why === undefined ? '' : `: ${why}`}`,
    denied
      ? { hint: 'the account lacks permission for this repository; ask the registry administrator' }
      : {},
  );
}

function headerValue(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Adds the digest to an upload location (which may carry query parameters of its own). */
function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url;
}

/** `URL.hostname` keeps the brackets of an IPv6 address. */
function isLoopbackHost(hostname: string): boolean {
  return isLoopback(hostname.replace(/^\[(.*)\]$/, '$1'));
}

/**
 * For tests only: AURION_TEST_REGISTRY_DEADLINES="HEADERS_MS,WINDOW_MS" shortens the header deadline and the
 * transfer-rate window so that the tests of a stalling registry run in a second. It can only shorten them
 * (values above SPEC §7's are USAGE), so it never weakens the guarantee.
 */
export function testDeadlines(env: Env): Partial<Deadlines> | undefined {
  const text = env['AURION_TEST_REGISTRY_DEADLINES'];
  if (text === undefined || text === '') return undefined;
  const m = /^(\d{1,6}),(\d{1,6})$/.exec(text);
  const headersMs = Number(m?.[1]);
  const transferWindowMs = Number(m?.[2]);
  if (
    m === null ||
    headersMs < 1 ||
    transferWindowMs < 10 ||
    headersMs > DEFAULT_DEADLINES.headersMs ||
    transferWindowMs > DEFAULT_DEADLINES.transferWindowMs
  ) {
    throw new AurionError(
      'USAGE',
      `AURION_TEST_REGISTRY_DEADLINES must be "HEADERS_MS,WINDOW_MS", at most ${DEFAULT_DEADLINES.headersMs},${DEFAULT_DEADLINES.transferWindowMs}`,
      { hint: 'this variable is for tests; unset it' },
    );
  }
  return { headersMs, transferWindowMs };
}

function withAuthorization(req: HttpRequest, authorization: string | undefined, base: URL): HttpRequest {
  // Credentials go to the registry's own origin only, never to an upload location elsewhere.
  if (authorization === undefined || req.url.origin !== base.origin) return req;
  return { ...req, headers: { ...req.headers, Authorization: authorization } };
}

/** A fresh stream of `length` bytes of a file from `offset` for each attempt, reporting progress. */
function fileBody(
  path: string,
  offset: number,
  length: number,
  onProgress?: (done: number) => void,
): () => Readable {
  return () => {
    if (length === 0) return Readable.from([]);
    const stream = createReadStream(path, {
      start: offset,
      end: offset + length - 1,
      // Small reads: the transfer-rate deadline counts bytes as the socket takes them, one read at a time.
      highWaterMark: 64 * 1024,
    });
    let sent = offset;
    if (onProgress !== undefined) {
      stream.on('data', (chunk: Buffer | string) => {
        sent += chunk.length;
        onProgress(sent);
      });
    }
    return stream;
  };
}
