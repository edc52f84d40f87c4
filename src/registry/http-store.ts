/**
 * A directory registry served read-only by a web server or CDN (SPEC §11): `index.json`, `plugins/…` and
 * `metadata/…` fetched over HTTP(S) below the registry URL. Plain HTTP only for loopback hosts or with
 * --plain-http (reference.ts). Deadlines and retries are the OCI client's (http.ts).
 */
import { Readable } from 'node:stream';
import { BaseFetcher } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import { decodeUtf8, JsonParseError, parseJson } from '../core/json.js';
import { schemaIssues } from '../core/schema.js';
import { AurionError } from '../errors.js';
import { registryIndex } from '../generated/validators.js';
import { INPUT_LIMITS } from '../io/files.js';
import type { Store } from './catalog.js';
import { bundleFileName, PLUGINS_DIR, type RegistryIndex } from './directory.js';
import { drain, HttpClient, type HttpResponse, type RetryPolicy, readBody } from './http.js';
import type { HttpRef } from './reference.js';
import { METADATA_DIR } from './tuf-repo.js';

class HttpFetcher extends BaseFetcher {
  constructor(private readonly store: HttpStore) {
    super();
  }

  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    const res = await this.store.get(new URL(url));
    if (res.status !== 200) {
      await drain(res);
      throw new DownloadHTTPError(`${url} answered HTTP ${res.status}`, res.status);
    }
    return Readable.toWeb(res.body) as ReadableStream<Uint8Array<ArrayBuffer>>;
  }
}

export class HttpStore implements Store {
  readonly cacheKey: string;
  readonly metadataUrl: string;
  readonly targetsUrl: string;
  readonly fetcher: BaseFetcher;
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
    this.fetcher = new HttpFetcher(this);
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
    const bytes = await readBody(res, INPUT_LIMITS.registryIndex);
    let value: unknown;
    try {
      value = parseJson(decodeUtf8(bytes));
    } catch (e) {
      const why = e instanceof JsonParseError ? e.message : 'it is not valid UTF-8';
      throw new AurionError('REGISTRY_ERROR', `registry index ${url.href} is not valid JSON: ${why}`);
    }
    const issues = schemaIssues(registryIndex, value);
    if (issues.length > 0) {
      throw new AurionError(
        'REGISTRY_ERROR',
        `registry index ${url.href} is invalid: ${issues[0]!.at} ${issues[0]!.message}`,
      );
    }
    return value as RegistryIndex;
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
