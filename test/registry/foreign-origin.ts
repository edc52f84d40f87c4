/**
 * A second origin on 127.0.0.2, standing for the blob storage or upload service a registry hands requests to.
 * It logs every request with the Authorization header it carried, serves and stores blobs, and, with
 * `challenge`, answers everything but its token endpoint with its own Bearer challenge (and hands out tokens to
 * whoever asks, so that a client that answers the challenge is caught sending its credentials to the realm).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';

export interface ForeignRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
}

export interface ForeignOrigin {
  /** `http://127.0.0.2:PORT` */
  readonly origin: string;
  readonly log: ForeignRequest[];
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function startForeignOrigin(
  t: { after: (fn: () => Promise<void>) => void },
  options: { readonly challenge?: boolean; readonly blobs: Map<string, Buffer> },
): Promise<ForeignOrigin> {
  const log: ForeignRequest[] = [];
  let origin = '';
  const body = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    log.push({ method: req.method ?? '', path: url.pathname, authorization: req.headers.authorization });
    void (async () => {
      const data = await body(req);
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      if (url.pathname === '/token') return json(200, { token: randomUUID() });
      if (options.challenge === true) {
        return json(
          401,
          { errors: [{ code: 'UNAUTHORIZED', message: 'storage wants a token' }] },
          { 'WWW-Authenticate': `Bearer realm="${origin}/token",service="storage"` },
        );
      }
      const blob = /^\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
      if (req.method === 'GET' && blob !== null) {
        const bytes = options.blobs.get(blob[1]!);
        if (bytes === undefined) return json(404, { errors: [{ code: 'BLOB_UNKNOWN', message: 'no' }] });
        res.writeHead(200, { 'Content-Length': String(bytes.length) });
        return res.end(bytes);
      }
      if (req.method === 'PUT' && /^\/uploads\/[^/]+$/.test(url.pathname)) {
        const digest = url.searchParams.get('digest');
        if (digest !== sha(data)) return json(400, { errors: [{ code: 'DIGEST_INVALID', message: 'no' }] });
        options.blobs.set(digest, data);
        res.writeHead(201, { 'Docker-Content-Digest': digest, 'Content-Length': '0' });
        return res.end();
      }
      json(404, { errors: [{ code: 'NAME_UNKNOWN', message: 'not found' }] });
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.2', ok));
  const address = server.address();
  origin = `http://127.0.0.2:${typeof address === 'object' && address !== null ? address.port : 0}`;
  t.after(
    () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  );
  return { origin, log };
}
