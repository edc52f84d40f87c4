/**
 * A small client of the OCI distribution API (v2): blob existence (HEAD), blob upload (oci-upload.ts: POST,
 * then one PUT with the digest, or PATCH chunks and a closing PUT), manifest PUT and GET, blob GET. It
 * authenticates on demand (RegistryAuth, auth.ts), retries through http.ts, streams blobs, and checks every
 * digest a registry sends back.
 */
import { createHash } from 'node:crypto';
import { AurionError } from '../errors.js';
import { type Actions, type Env, RegistryAuth } from './auth.js';
import {
  DEFAULT_DEADLINES,
  type Deadlines,
  drain,
  HttpClient,
  type HttpRequest,
  type HttpResponse,
  headerValue,
  MAX_ERROR_BODY,
  type RetryPolicy,
  readBody,
  refusedError,
} from './http.js';
import { type BlobSource, DEFAULT_CHUNK_SIZE, type UploadTarget, uploadBlob } from './oci-upload.js';
import type { OciRef } from './reference.js';

export type { Actions } from './auth.js';
export { type BlobSource, DEFAULT_CHUNK_SIZE } from './oci-upload.js';

export const MEDIA_TYPE = {
  imageManifest: 'application/vnd.oci.image.manifest.v1+json',
  imageIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** Manifests are small JSON documents; anything larger is refused rather than buffered. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface OciClientOptions {
  /** Credentials (AURION_REGISTRY_*) and where the Docker config is (HOME, DOCKER_CONFIG). */
  readonly env: Env;
  readonly retry?: Partial<RetryPolicy>;
  readonly timeoutMs?: number;
  /** Header and transfer-rate deadlines (default SPEC §7's; see also AURION_TEST_REGISTRY_DEADLINES). */
  readonly deadlines?: Partial<Deadlines>;
  readonly chunkSize?: number;
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
  private readonly chunkSize: number;
  private readonly base: URL;
  private readonly auth: RegistryAuth;
  /** What blob uploads (oci-upload.ts) use of this client. */
  private readonly uploads: UploadTarget;

  constructor(ref: OciRef, options: OciClientOptions) {
    this.ref = ref;
    this.http = new HttpClient({
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      deadlines: options.deadlines ?? testDeadlines(options.env),
    });
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    // Docker Hub serves the API under another name than the one users write.
    const authority = ref.authority === 'docker.io' ? 'registry-1.docker.io' : ref.authority;
    this.base = new URL(`${ref.plainHttp ? 'http' : 'https'}://${authority}`);
    this.auth = new RegistryAuth(ref.authority, this.base, this.http, options.env);
    this.uploads = {
      authority: ref.authority,
      base: this.base,
      chunkSize: this.chunkSize,
      blobExists: (repo, digest, actions) => this.blobExists(repo, digest, actions),
      request: (repo, actions, req) => this.request(repo, actions, req),
      refused: (res, what) => this.refused(res, what),
      url: (path) => this.url(path),
    };
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
  uploadBlob(repo: string, blob: BlobSource, onProgress?: (done: number) => void): Promise<boolean> {
    return uploadBlob(this.uploads, repo, blob, onProgress);
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

  /** Sends a request with the authorization that works for the repository, answering one 401 challenge. */
  private request(repo: string, actions: Actions, req: HttpRequest): Promise<HttpResponse> {
    return this.auth.send(repo, actions, req);
  }

  private async refused(res: HttpResponse, what: string): Promise<AurionError> {
    const body = await readBody(res, MAX_ERROR_BODY).catch(() => Buffer.alloc(0));
    return refusedError(this.ref.authority, res, body, what);
  }
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
