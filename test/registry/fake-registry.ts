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
  readonly bearer?: { readonly users?: Readonly<Record<string, string>> };
  /** Answer every request with this status and OCI error (e.g. 403 DENIED). */
  readonly refuseWith?: { readonly status: number; readonly code: string; readonly message: string };
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
  const blobs = new Map<string, Buffer>();
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
          `Bearer realm="http://127.0.0.1:${port}/token",service="fake-registry"` +
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
        res.writeHead(202, { Location: `/v2/${repo}/blobs/uploads/${uuid}`, 'Content-Length': '0' });
        res.end();
        return;
      }
      const parts = uploads.get(id!);
      if (parts === undefined) return ociError(res, 404, 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown');
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
      const served = Buffer.from(data);
      if (options.corruptBlobs === true && served.length > 0) served[0] = served[0]! ^ 0xff;
      res.writeHead(200, { 'Content-Length': String(served.length), 'Docker-Content-Digest': m[2]! });
      res.end(method === 'HEAD' ? undefined : served);
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
