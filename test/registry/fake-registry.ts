/**
 * A tiny in-memory OCI registry for the failure modes the reference server cannot be made to show: answers
 * 500 or drops connections a given number of times, serves corrupted blobs or lies about manifest digests, and
 * speaks the Bearer token flow with its own token endpoint.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface FakeRegistryOptions {
  /** Answer this many requests matching `failOn` with 500 (an OCI error body) before serving them. */
  readonly fail500?: number;
  /** Drop the connection of this many requests matching `failOn` before serving them. */
  readonly reset?: number;
  /** Which requests the failures above apply to (default: all but GET /v2/ and the token endpoint). */
  readonly failOn?: (method: string, path: string) => boolean;
  /** Serve every blob with its first byte changed. */
  readonly corruptBlobs?: boolean;
  /** Send a Docker-Content-Digest that does not match the manifest bytes. */
  readonly lieAboutManifestDigest?: boolean;
  /** Require Bearer tokens from the built-in token endpoint; with `users`, the endpoint wants Basic auth. */
  readonly bearer?: { readonly users?: Readonly<Record<string, string>>; readonly realm?: string };
  /** Answer every request with this status and OCI error (e.g. 403 DENIED). */
  readonly refuseWith?: { readonly status: number; readonly code: string; readonly message: string };
  /** Keep blobs in this map (shared with another origin that serves or receives them). */
  readonly blobs?: Map<string, Buffer>;
  /** Require Basic auth with one of these users on every /v2/ request. */
  readonly basic?: Readonly<Record<string, string>>;
  /** Redirect blob GETs to `<origin>/blobs/<digest>` (as registries send downloads to their storage). */
  readonly blobRedirect?: string;
  /** Answer upload POSTs with a Location `<origin>/uploads/<id>` on this other origin. */
  readonly uploadOrigin?: string;
  /** Send blob bodies one byte every this many milliseconds. */
  readonly trickleBlobMs?: number;
  /** For matching requests, write the response status line and headers one byte every 20 ms, never ending. */
  readonly trickleHeadersOn?: (method: string, path: string) => boolean;
  /** Never read the bodies of blob uploads (PUT, PATCH) larger than this many bytes, nor answer them. */
  readonly stallUploadsOver?: number;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly status: number;
}

export interface FakeRegistry {
  readonly port: number;
  readonly authority: string;
  url(namespace: string): string;
  readonly log: LoggedRequest[];
  /** Scopes asked for at the token endpoint, one array per token request. */
  readonly tokenScopes: string[][];
  readonly blobs: Map<string, Buffer>;
  readonly manifests: Map<string, { bytes: Buffer; type: string }>;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function startFakeRegistry(
  t: { after: (fn: () => Promise<void>) => void },
  options: FakeRegistryOptions = {},
): Promise<FakeRegistry> {
  const log: LoggedRequest[] = [];
  const tokenScopes: string[][] = [];
  const blobs = options.blobs ?? new Map<string, Buffer>();
  const manifests = new Map<string, { bytes: Buffer; type: string }>();
  const uploads = new Map<string, Buffer[]>();
  const tokens = new Set<string>();
  let fail500 = options.fail500 ?? 0;
  let reset = options.reset ?? 0;
  const failOn = options.failOn ?? (() => true);
  let port = 0;

  const body = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  const ociError = (res: ServerResponse, status: number, code: string, message: string) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code, message, detail: null }] }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const method = req.method ?? 'GET';
    const path = url.pathname;

    if (path === '/token') {
      tokenScopes.push(url.searchParams.getAll('scope'));
      const users = options.bearer?.users;
      if (users !== undefined) {
        const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
        const [user, pass] = basic === null ? [] : Buffer.from(basic[1]!, 'base64').toString().split(':');
        if (user === undefined || users[user] !== pass) {
          res.writeHead(401, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ details: 'incorrect username or password' }));
          return;
        }
      }
      const token = randomUUID();
      tokens.add(token);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    if (options.trickleHeadersOn?.(method, path) === true) {
      const head = Buffer.from(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: ${'a'.repeat(100_000)}`,
      );
      let i = 0;
      const timer = setInterval(() => {
        if (req.socket.destroyed || i >= head.length) return clearInterval(timer);
        req.socket.write(head.subarray(i, ++i));
      }, 20);
      req.socket.on('close', () => clearInterval(timer));
      return;
    }
    if (options.basic !== undefined) {
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
      const [user, pass] = basic === null ? [] : Buffer.from(basic[1]!, 'base64').toString().split(':');
      if (user === undefined || options.basic[user] !== pass) {
        await body(req);
        res.setHeader('WWW-Authenticate', 'Basic realm="fake-registry"');
        return ociError(res, 401, 'UNAUTHORIZED', 'authentication required');
      }
    }
    if (options.refuseWith !== undefined) {
      await body(req);
      return ociError(res, options.refuseWith.status, options.refuseWith.code, options.refuseWith.message);
    }
    if (options.bearer !== undefined) {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      if (bearer === null || !tokens.has(bearer[1]!)) {
        await body(req);
        const repo = /^\/v2\/(.+?)\/(?:manifests|blobs)\//.exec(path)?.[1];
        res.setHeader(
          'WWW-Authenticate',
          `Bearer realm="${options.bearer.realm ?? `http://127.0.0.1:${port}/token`}",service="fake-registry"` +
            (repo === undefined ? '' : `,scope="repository:${repo}:pull"`),
        );
        return ociError(res, 401, 'UNAUTHORIZED', 'authentication required');
      }
    }
    if (path !== '/v2/' && failOn(method, path)) {
      if (reset > 0) {
        reset--;
        req.socket.destroy();
        return;
      }
      if (fail500 > 0) {
        fail500--;
        await body(req);
        return ociError(res, 500, 'UNKNOWN', 'temporary failure, try again');
      }
    }

    if (path === '/v2/') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
      return;
    }
    let m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(path);
    if (m !== null) {
      const [, repo, id] = m;
      if (method === 'POST') {
        await body(req);
        const uuid = randomUUID();
        uploads.set(uuid, []);
        const location =
          options.uploadOrigin === undefined
            ? `/v2/${repo}/blobs/uploads/${uuid}`
            : `${options.uploadOrigin}/uploads/${uuid}`;
        res.writeHead(202, { Location: location, 'Content-Length': '0' });
        res.end();
        return;
      }
      const parts = uploads.get(id!);
      if (parts === undefined) return ociError(res, 404, 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown');
      if (
        options.stallUploadsOver !== undefined &&
        Number(req.headers['content-length'] ?? 0) > options.stallUploadsOver
      ) {
        req.pause();
        return;
      }
      parts.push(await body(req));
      if (method === 'PATCH') {
        res.writeHead(202, { Location: `/v2/${repo}/blobs/uploads/${id}`, 'Content-Length': '0' });
        res.end();
        return;
      }
      const data = Buffer.concat(parts);
      const digest = url.searchParams.get('digest');
      if (digest !== sha(data))
        return ociError(res, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
      blobs.set(digest, data);
      uploads.delete(id!);
      res.writeHead(201, { 'Docker-Content-Digest': digest, Location: `/v2/${repo}/blobs/${digest}` });
      res.end();
      return;
    }
    m = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(path);
    if (m !== null) {
      await body(req);
      const data = blobs.get(m[2]!);
      if (data === undefined) return ociError(res, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
      if (method === 'GET' && options.blobRedirect !== undefined) {
        res.writeHead(307, { Location: `${options.blobRedirect}/blobs/${m[2]}`, 'Content-Length': '0' });
        res.end();
        return;
      }
      const served = Buffer.from(data);
      if (options.corruptBlobs === true && served.length > 0) served[0] = served[0]! ^ 0xff;
      res.writeHead(200, { 'Content-Length': String(served.length), 'Docker-Content-Digest': m[2]! });
      if (method === 'HEAD') return res.end();
      const every = options.trickleBlobMs;
      if (every === undefined) return res.end(served);
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed || i >= served.length) {
          clearInterval(timer);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(served.subarray(i, ++i));
      }, every);
      res.on('close', () => clearInterval(timer));
      return;
    }
    m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
    if (m !== null) {
      const key = `${m[1]}:${m[2]}`;
      if (method === 'PUT') {
        const bytes = await body(req);
        const digest = sha(bytes);
        const entry = { bytes, type: req.headers['content-type'] ?? '' };
        manifests.set(key, entry);
        manifests.set(`${m[1]}:${digest}`, entry);
        res.writeHead(201, { 'Docker-Content-Digest': digest });
        res.end();
        return;
      }
      await body(req);
      const entry = manifests.get(key);
      if (entry === undefined) return ociError(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
      const digest =
        options.lieAboutManifestDigest === true ? sha(Buffer.from('something else')) : sha(entry.bytes);
      res.writeHead(200, { 'Content-Type': entry.type, 'Docker-Content-Digest': digest });
      res.end(method === 'HEAD' ? undefined : entry.bytes);
      return;
    }
    await body(req);
    ociError(res, 404, 'NAME_UNKNOWN', 'not found');
  };

  const server = createServer((req, res) => {
    res.on('finish', () =>
      log.push({
        method: req.method ?? '',
        path: new URL(req.url ?? '/', 'http://x').pathname,
        authorization: req.headers.authorization,
        status: res.statusCode,
      }),
    );
    handle(req, res).catch((e: Error) => {
      if (!res.headersSent) ociError(res, 500, 'UNKNOWN', e.message);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
  t.after(
    () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  );
  return {
    port,
    authority: `127.0.0.1:${port}`,
    url: (namespace) => `oci://127.0.0.1:${port}/${namespace}`,
    log,
    tokenScopes,
    blobs,
    manifests,
  };
}
