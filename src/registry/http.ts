/**
 * The HTTP layer of the OCI client, on Node's own http/https: one request with bounded retries (exponential
 * backoff with jitter on 429, 5xx and dropped connections), redirects for reads, and small helpers to read
 * bodies with a size limit. Request bodies are given as factories so that a retry can send them again without
 * holding them in memory.
 *
 * Deadlines (SPEC §7): the response headers must be complete within `headersMs` of the request (of the end of
 * its body, for uploads), and a body moving either way must average `minBytesPerSecond` over every window of
 * `transferWindowMs`. A request that misses either is abandoned with REGISTRY_ERROR and not retried, so a server
 * that trickles bytes costs at most one deadline, never a hang.
 */
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { AurionError } from '../errors.js';

export interface RetryPolicy {
  /** Tries in all, the first included (default 4). */
  readonly attempts: number;
  /** Delay before the first retry; doubled for each further one (default 250 ms). */
  readonly baseDelayMs: number;
  /** Upper bound of one delay, also for a registry's Retry-After (default 8 s). */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 8000 };

export interface Deadlines {
  /** From sending a request (from the end of its body, when it has one) to its complete response headers. */
  readonly headersMs: number;
  /** The sliding window over which a request or response body must average `minBytesPerSecond`. */
  readonly transferWindowMs: number;
  readonly minBytesPerSecond: number;
}

/** SPEC §7: headers within 30 s; a transfer averaging under 1 KiB/s over 60 s is abandoned. */
export const DEFAULT_DEADLINES: Deadlines = {
  headersMs: 30_000,
  transferWindowMs: 60_000,
  minBytesPerSecond: 1024,
};

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  /** A small body, or a factory of a fresh stream for each attempt (with `bodyLength`). */
  readonly body?: Uint8Array | (() => Readable);
  readonly bodyLength?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  readonly url: URL;
  readonly body: IncomingMessage;
}

/** Connection failures worth another try. */
const RETRYABLE_ERRNO = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

export interface HttpClientOptions {
  readonly retry?: Partial<RetryPolicy>;
  /** Idle time on a socket before the request fails (default 60 s). */
  readonly timeoutMs?: number;
  readonly deadlines?: Partial<Deadlines>;
}

export class HttpClient {
  readonly retry: RetryPolicy;
  readonly deadlines: Deadlines;
  private readonly timeoutMs: number;
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true });

  constructor(options: HttpClientOptions = {}) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.deadlines = { ...DEFAULT_DEADLINES, ...options.deadlines };
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /**
   * Sends a request, retrying 429/5xx answers and connection failures; GET and HEAD follow redirects (dropping
   * Authorization when the redirect leaves the origin, as blob storage redirects do). The final answer is
   * returned whatever its status; only a connection that cannot be made at all throws (REGISTRY_ERROR).
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= this.retry.attempts;
      try {
        const res = await this.follow(req);
        if (!last && isRetryableStatus(res.status)) {
          res.body.resume();
          await sleep(this.delay(attempt, res.headers['retry-after']));
          continue;
        }
        return res;
      } catch (e) {
        // Our own refusals (a missed deadline, a bad redirect) are final: a retry would only repeat them.
        if (e instanceof AurionError) throw e;
        lastError = e;
        const errno = (e as NodeJS.ErrnoException).code;
        if (last || errno === undefined || !RETRYABLE_ERRNO.has(errno)) break;
        await sleep(this.delay(attempt, undefined));
      }
    }
    const { reason, hint } = explainConnectionError(lastError);
    throw new AurionError(
      'REGISTRY_ERROR',
      `cannot reach ${req.url.host}: ${reason} (${req.method} ${req.url.pathname})`,
      { hint, cause: lastError },
    );
  }

  private delay(attempt: number, retryAfter: string | undefined): number {
    const backoff = this.retry.baseDelayMs * 2 ** (attempt - 1);
    const jittered = backoff / 2 + Math.random() * (backoff / 2);
    let wanted = jittered;
    if (retryAfter !== undefined) {
      const seconds = /^\d+$/.test(retryAfter)
        ? Number(retryAfter)
        : (Date.parse(retryAfter) - Date.now()) / 1000;
      if (Number.isFinite(seconds) && seconds > 0) wanted = Math.max(wanted, seconds * 1000);
    }
    return Math.min(wanted, this.retry.maxDelayMs);
  }

  private async follow(req: HttpRequest): Promise<HttpResponse> {
    let current = req;
    for (let hops = 0; ; hops++) {
      const res = await this.once(current);
      const location = res.headers.location;
      const redirect = [301, 302, 303, 307, 308].includes(res.status) && location !== undefined;
      if (!redirect || (current.method !== 'GET' && current.method !== 'HEAD')) return res;
      res.body.resume();
      if (hops >= 5) throw new AurionError('REGISTRY_ERROR', `too many redirects from ${req.url.href}`);
      const next = new URL(location, current.url);
      const headers = { ...current.headers };
      if (next.origin !== current.url.origin) delete headers['Authorization'];
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        throw new AurionError('REGISTRY_ERROR', `registry redirected to an unsupported URL ${next.href}`);
      }
      if (current.url.protocol === 'https:' && next.protocol === 'http:') {
        throw new AurionError(
          'REGISTRY_ERROR',
          `registry redirected from HTTPS to plain HTTP (${next.href})`,
          {
            hint: 'refusing to downgrade; ask the registry operator to fix the redirect',
          },
        );
      }
      current = { ...current, url: next, headers };
    }
  }

  private once(req: HttpRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const https = req.url.protocol === 'https:';
      const headers: Record<string, string> = { 'User-Agent': 'aurion-plugin', ...req.headers };
      const body = req.body;
      if (body instanceof Uint8Array) headers['Content-Length'] = String(body.byteLength);
      else if (body !== undefined) headers['Content-Length'] = String(req.bodyLength ?? 0);
      else if (req.method === 'PUT' || req.method === 'POST' || req.method === 'PATCH')
        headers['Content-Length'] = '0';
      const r = (https ? httpsRequest : httpRequest)(req.url, {
        method: req.method,
        headers,
        agent: https ? this.httpsAgent : this.httpAgent,
        timeout: this.timeoutMs,
      });
      const what = `${req.method} ${req.url.pathname}`;
      const d = this.deadlines;
      let headerTimer: NodeJS.Timeout | undefined;
      // Ended by the response, or by the request closing (an error, a missed deadline).
      let waiting = true;
      const awaitHeaders = () => {
        if (!waiting) return; // a registry may answer (a 401, a 413) before the body has gone out
        headerTimer = setTimeout(
          () =>
            r.destroy(
              missedDeadline(
                req.url,
                `sent no complete response headers within ${seconds(d.headersMs)}`,
                what,
              ),
            ),
          d.headersMs,
        );
      };
      let stopUpload = () => {};
      let sent = 0;
      if (body === undefined) awaitHeaders();
      else {
        // A streamed body counts as the socket takes it (the stream is paused while the socket is full); a
        // small in-memory one has until its window ends to be taken whole ('finish').
        stopUpload = watchTransfer(
          d,
          () => sent,
          () => r.destroy(missedDeadline(req.url, `took the request body at under ${rate(d)}`, what)),
        );
        r.on('finish', () => {
          stopUpload();
          awaitHeaders();
        });
      }
      r.on('timeout', () => {
        r.destroy(
          Object.assign(new Error(`no answer within ${this.timeoutMs / 1000} s`), { code: 'ETIMEDOUT' }),
        );
      });
      r.on('close', () => {
        waiting = false;
        clearTimeout(headerTimer);
        stopUpload();
      });
      r.on('error', reject);
      r.on('response', (res) => {
        waiting = false;
        clearTimeout(headerTimer);
        stopUpload();
        res.on('error', () => {}); // a reader of the body sees the error; this only keeps it from being unhandled
        // Bytes received, counted on the socket: it is paused while the reader has not taken what came.
        const socket = res.socket;
        const base = socket.bytesRead;
        const stopDownload = watchTransfer(
          d,
          () => socket.bytesRead - base,
          () => res.destroy(missedDeadline(req.url, `sent the response body at under ${rate(d)}`, what)),
          () => res.complete,
        );
        res.on('end', stopDownload);
        res.on('close', stopDownload);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, url: req.url, body: res });
      });
      if (body === undefined) r.end();
      else if (body instanceof Uint8Array) r.end(body);
      else {
        const stream = body();
        stream.on('error', (e) => r.destroy(e));
        stream.on('data', (chunk: Buffer | string) => {
          sent += chunk.length;
        });
        // A registry may answer (401, 4xx) and close before taking the whole body: stop reading the file then.
        r.on('close', () => stream.destroy());
        stream.pipe(r);
      }
    });
  }
}

/**
 * Calls `abandon` as soon as fewer than `minBytesPerSecond` on average moved over the last `transferWindowMs`
 * (checked every tenth of the window, from one full window after the start); stops by itself once `done`.
 * Returns the function that stops the watch.
 */
export function watchTransfer(
  d: Deadlines,
  progress: () => number,
  abandon: () => void,
  done: () => boolean = () => false,
): () => void {
  const steps = 10;
  const needed = (d.minBytesPerSecond * d.transferWindowMs) / 1000;
  const samples = [progress()];
  const timer = setInterval(() => {
    if (done()) {
      clearInterval(timer);
      return;
    }
    samples.push(progress());
    if (samples.length > steps + 1) samples.shift();
    if (samples.length === steps + 1 && samples[steps]! - samples[0]! < needed) {
      clearInterval(timer);
      abandon();
    }
  }, d.transferWindowMs / steps);
  return () => clearInterval(timer);
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

function rate(d: Deadlines): string {
  return `${d.minBytesPerSecond / 1024} KiB/s over ${seconds(d.transferWindowMs)}`;
}

function missedDeadline(url: URL, what: string, request: string): AurionError {
  return new AurionError('REGISTRY_ERROR', `${url.origin} ${what} (${request}); abandoned`, {
    hint: 'the registry or the network is too slow or stalled; try again later, or ask the registry operator',
  });
}

/** Reads a whole (small) body; REGISTRY_ERROR when it is larger than `max`. */
export async function readBody(res: HttpResponse, max: number): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    res.body.destroy();
    throw tooLarge(res, max);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) {
        res.body.destroy();
        throw tooLarge(res, max);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof AurionError) throw e;
    throw new AurionError('REGISTRY_ERROR', `connection to ${res.url.host} failed: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return Buffer.concat(chunks);
}

function tooLarge(res: HttpResponse, max: number): AurionError {
  return new AurionError('REGISTRY_ERROR', `${res.url.href} answered with more than ${max} bytes`);
}

/** Discards a body we do not need (keeps the connection reusable). */
export async function drain(res: HttpResponse): Promise<void> {
  try {
    for await (const _ of res.body) {
      // discard
    }
  } catch {
    // the connection is gone; nothing to reuse
  }
}

/**
 * The registry's own explanation of a refusal: the OCI error JSON `errors[].message` (with its code), else a
 * token server's `details`/`error`/`message`, else the start of the text body.
 */
export function describeRefusal(body: Buffer): string | undefined {
  const text = body.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (Array.isArray(v['errors']) && v['errors'].length > 0) {
      return v['errors']
        .map((e: { code?: unknown; message?: unknown }) => {
          const message = typeof e.message === 'string' && e.message !== '' ? e.message : undefined;
          const code = typeof e.code === 'string' ? e.code : undefined;
          return message !== undefined && code !== undefined
            ? `${message} (${code})`
            : (message ?? code ?? '');
        })
        .filter((m: string) => m !== '')
        .join('; ');
    }
    for (const key of ['details', 'error_description', 'error', 'message']) {
      if (typeof v[key] === 'string' && v[key] !== '') return v[key] as string;
    }
  } catch {
    // not JSON
  }
  const printable = text.replace(/[^\x20-\x7e]+/g, ' ');
  return printable.length > 200 ? `${printable.slice(0, 200)}…` : printable;
}

const CERTIFICATE_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A connection failure in words, with what to do about it. */
export function explainConnectionError(e: unknown): { reason: string; hint: string } {
  const errno = (e as NodeJS.ErrnoException).code ?? '';
  const message = (e as Error).message;
  if (errno === 'EPROTO' && /wrong version number/.test(message)) {
    return {
      reason: 'the server does not speak HTTPS (TLS: wrong version number)',
      hint: 'for a plain-HTTP registry on a network you trust, add --plain-http',
    };
  }
  if (CERTIFICATE_ERRORS.has(errno)) {
    return {
      reason: `its TLS certificate is not trusted (${errno}: ${message})`,
      hint: 'for a private CA, point NODE_EXTRA_CA_CERTS at its certificate (PEM)',
    };
  }
  if (errno === 'ENOTFOUND') {
    return { reason: `no such host (${message})`, hint: 'check the host name in --registry' };
  }
  return { reason: message, hint: 'check the registry address, your network and proxy settings' };
}
