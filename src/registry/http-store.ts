/**
 * A directory registry served read-only by a web server or CDN (SPEC §11): `index.json`, `plugins/…` and
 * `metadata/…` fetched over HTTP(S) below the registry URL. Plain HTTP only for loopback hosts or with
 * --plain-http (reference.ts). Deadlines and retries are the OCI client's (http.ts).
 */
import { Readable } from 'node:stream';
import { AurionError } from '../errors.js';
import { INPUT_LIMITS } from '../io/files.js';
import type { Store } from './catalog.js';
import {
  bundleFileName,
  METADATA_DIR,
  PLUGINS_DIR,
  parseRegistryIndex,
  type RegistryIndex,
} from './directory.js';
import { drain, HttpClient, type HttpResponse, type RetryPolicy, readBody } from './http.js';
import type { HttpRef } from './reference.js';
import type { Fetched } from './tuf-client.js';

export class HttpStore implements Store {
  readonly cacheKey: string;
  readonly metadataUrl: string;
  readonly targetsUrl: string;
  private readonly client: HttpClient;
  private readonly base: URL;

  constructor(
    readonly location: string,
    ref: HttpRef,
    retry?: Partial<RetryPolicy>,
  ) {
    this.base = ref.url;
    this.cacheKey = ref.url.href;
    this.targetsUrl = ref.url.href;
    this.metadataUrl = new URL(`${METADATA_DIR}/`, ref.url).href;
    this.client = new HttpClient(retry === undefined ? {} : { retry });
  }

  /** Metadata and targets for the TUF client: the bytes of a 200, else the status. */
  async fetchFile(url: string): Promise<Fetched> {
    const res = await this.get(new URL(url));
    if (res.status !== 200) {
      await drain(res);
      return { status: res.status, message: `${url} answered HTTP ${res.status}` };
    }
    return { body: Readable.toWeb(res.body) as ReadableStream<Uint8Array<ArrayBuffer>> };
  }

  /** GET below the registry URL, refusing a redirect from HTTPS to plain HTTP. */
  async get(url: URL): Promise<HttpResponse> {
    if (url.origin !== this.base.origin) {
      throw new AurionError(
        'REGISTRY_ERROR',
        `refusing to fetch ${url.href}: outside registry ${this.location}`,
      );
    }
    const res = await this.client.send({ method: 'GET', url });
    // A redirect may leave the origin (a CDN, an object store), but never for plain HTTP off loopback.
    if (res.url.protocol === 'http:' && this.base.protocol === 'https:') {
      await drain(res);
      throw new AurionError(
        'REGISTRY_ERROR',
        `registry ${this.location} redirected ${url.href} to plain HTTP (${res.url.href}); refused`,
        { hint: 'the web server must keep HTTPS through its redirects' },
      );
    }
    return res;
  }

  async readIndex(): Promise<RegistryIndex> {
    const url = new URL('index.json', this.base);
    const res = await this.get(url);
    if (res.status === 404) {
      await drain(res);
      throw new AurionError(
        'REGISTRY_ERROR',
        `no directory registry at ${this.location} (${url.href}: HTTP 404)`,
        {
          hint: 'check the --registry URL: it names the folder that holds index.json, with a trailing slash',
        },
      );
    }
    if (res.status !== 200) {
      await drain(res);
      throw new AurionError('REGISTRY_ERROR', `${url.href} answered HTTP ${res.status}`, {
        hint: 'the web server refused the request; try again later or ask its operator',
      });
    }
    return parseRegistryIndex(await readBody(res, INPUT_LIMITS.registryIndex), url.href);
  }

  async openBundle(name: string, version: string): Promise<AsyncIterable<Uint8Array>> {
    const url = new URL(`${PLUGINS_DIR}/${name}/${bundleFileName(name, version)}`, this.base);
    const res = await this.get(url);
    if (res.status !== 200) {
      await drain(res);
      throw new AurionError(
        'REGISTRY_ERROR',
        `registry ${this.location} lists ${name}@${version} but ${url.href} answered HTTP ${res.status}`,
        { hint: 'the registry is damaged or incompletely mirrored; tell its operator' },
      );
    }
    return res.body;
  }

  close(): void {
    this.client.close();
  }
}
