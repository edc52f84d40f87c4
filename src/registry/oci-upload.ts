/**
 * Blob upload of the OCI distribution API for the client (oci.ts): a POST opens the upload, then one PUT with
 * the digest (monolithic: blobs in memory and files up to the chunk size), or PATCH chunks streamed from the file
 * and a closing PUT (chunked). Every upload location the registry sends is checked before a byte goes to it, and
 * credentials never follow one to another origin (RegistryAuth in auth.ts).
 */
import { closeSync, createReadStream, read } from 'node:fs';
import { Readable } from 'node:stream';
import { AurionError } from '../errors.js';
import { openRegularFile } from '../io/files.js';
import type { Actions } from './auth.js';
import { drain, type HttpRequest, type HttpResponse, headerValue } from './http.js';
import { isLoopback } from './reference.js';

/** Blobs up to this size go up in one PUT; larger ones in PATCH chunks of this size. */
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;

export interface BlobSource {
  /** `sha256:<hex>` */
  readonly digest: string;
  readonly size: number;
  /** Small blobs in memory, large ones from a file (streamed, never read whole). */
  readonly data: Uint8Array | { readonly path: string };
}

/** What an upload needs of the client: its registry, and its authenticated requests (oci.ts). */
export interface UploadTarget {
  /** The registry as the user named it, for messages. */
  readonly authority: string;
  /** The origin of the registry's API. */
  readonly base: URL;
  readonly chunkSize: number;
  blobExists(repo: string, digest: string, actions: Actions): Promise<boolean>;
  request(repo: string, actions: Actions, req: HttpRequest): Promise<HttpResponse>;
  refused(res: HttpResponse, what: string): Promise<AurionError>;
  url(path: string): URL;
}

/**
 * Uploads a blob unless the repository has it already. Returns false when it was already there. Large blobs
 * go up in chunks (at least the registry's OCI-Chunk-Min-Length); `onProgress` gets bytes sent so far.
 */
export async function uploadBlob(
  target: UploadTarget,
  repo: string,
  blob: BlobSource,
  onProgress?: (done: number) => void,
): Promise<boolean> {
  if (await target.blobExists(repo, blob.digest, 'pull,push')) {
    onProgress?.(blob.size);
    return false;
  }
  // The file is opened once, as a regular file only (a FIFO or device swapped in never blocks the upload), and
  // every chunk and retry reads that very descriptor.
  const file = blob.data instanceof Uint8Array ? undefined : await openRegularFile(blob.data.path, 'bundle');
  try {
    if (file !== undefined && file.size !== blob.size) {
      throw new AurionError(
        'IO_ERROR',
        `cannot upload ${(blob.data as { path: string }).path}: it is ${file.size} bytes now, ${blob.size} when it was verified`,
        { hint: 'do not modify the bundle while publishing it; run publish again' },
      );
    }
    await upload(target, repo, blob, file?.fd, onProgress);
  } finally {
    if (file !== undefined) closeSync(file.fd);
  }
  return true;
}

async function upload(
  target: UploadTarget,
  repo: string,
  blob: BlobSource,
  fd: number | undefined,
  onProgress?: (done: number) => void,
): Promise<void> {
  const start = await target.request(repo, 'pull,push', {
    method: 'POST',
    url: target.url(`/v2/${repo}/blobs/uploads/`),
  });
  if (start.status !== 202) throw await target.refused(start, `POST blob upload ${repo}`);
  await drain(start);
  let location = uploadLocation(target, start, `POST blob upload ${repo}`);
  const minChunk = Number(headerValue(start, 'oci-chunk-min-length') ?? 0);
  const chunkSize = Math.max(target.chunkSize, Number.isSafeInteger(minChunk) ? minChunk : 0);

  if (fd === undefined || blob.size <= chunkSize) {
    const url = withDigest(location, blob.digest);
    const body = blob.data instanceof Uint8Array ? blob.data : fileBody(fd!, 0, blob.size, onProgress);
    await finishUpload(target, repo, blob, url, body, blob.size);
    if (blob.data instanceof Uint8Array) onProgress?.(blob.size);
    return;
  }

  for (let offset = 0; offset < blob.size; offset += chunkSize) {
    const length = Math.min(chunkSize, blob.size - offset);
    const res = await target.request(repo, 'pull,push', {
      method: 'PATCH',
      url: location,
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Range': `${offset}-${offset + length - 1}`,
      },
      body: fileBody(fd, offset, length, onProgress),
      bodyLength: length,
    });
    if (res.status !== 202) throw await target.refused(res, `PATCH blob upload ${repo}`);
    await drain(res);
    location = uploadLocation(target, res, `PATCH blob upload ${repo}`);
  }
  await finishUpload(target, repo, blob, withDigest(location, blob.digest), undefined, 0);
}

async function finishUpload(
  target: UploadTarget,
  repo: string,
  blob: BlobSource,
  url: URL,
  body: HttpRequest['body'],
  length: number,
): Promise<void> {
  const res = await target.request(repo, 'pull,push', {
    method: 'PUT',
    url,
    headers: { 'Content-Type': 'application/octet-stream' },
    body,
    bodyLength: length,
  });
  if (res.status !== 201) throw await target.refused(res, `PUT blob ${repo}@${blob.digest}`);
  await drain(res);
  const claimed = headerValue(res, 'docker-content-digest');
  if (claimed !== undefined && claimed !== blob.digest) {
    throw new AurionError(
      'REGISTRY_ERROR',
      `registry ${target.authority} stored blob ${blob.digest} of ${repo} as ${claimed}`,
    );
  }
}

/** The upload location a registry answered with, resolved and checked before any byte goes to it. */
function uploadLocation(target: UploadTarget, res: HttpResponse, what: string): URL {
  const location = headerValue(res, 'location');
  if (location === undefined) {
    throw new AurionError('REGISTRY_ERROR', `registry ${target.authority} sent no upload location (${what})`);
  }
  const url = new URL(location, res.url);
  // Another origin gets the bytes but never the credentials (withAuthorization, auth.ts). Over plain HTTP it must be
  // on a loopback address, and only for a registry that is itself plain HTTP (no downgrade).
  if (
    url.origin !== target.base.origin &&
    url.protocol !== 'https:' &&
    !(url.protocol === 'http:' && target.base.protocol === 'http:' && isLoopback(url.hostname))
  ) {
    throw new AurionError(
      'REGISTRY_ERROR',
      `registry ${target.authority} sent a plain-HTTP upload location ${url.href}`,
      { hint: 'plain HTTP is accepted only on a loopback address; ask the registry operator to use HTTPS' },
    );
  }
  return url;
}

/** Adds the digest to an upload location (which may carry query parameters of its own). */
function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url;
}

/**
 * A fresh stream of `length` bytes of the open file `fd` from `offset` for each attempt, reporting progress.
 * The streams read at their own positions and leave the descriptor open (uploadBlob closes it).
 */
function fileBody(
  fd: number,
  offset: number,
  length: number,
  onProgress?: (done: number) => void,
): () => Readable {
  return () => {
    if (length === 0) return Readable.from([]);
    const stream = createReadStream('', {
      fd,
      // A stream destroyed early (the registry answered before taking the body) closes its descriptor whatever
      // autoClose says: this one is shared by every chunk and attempt, and only uploadBlob closes it.
      fs: { read, close: (_fd: number, done: (e: NodeJS.ErrnoException | null) => void) => done(null) },
      autoClose: false,
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
