/**
 * A directory registry served over HTTPS whose web server redirects to plain HTTP: the redirect is refused
 * (REGISTRY_ERROR), for index.json and for a bundle alike, and nothing is written. The HTTPS server is a real
 * one on 127.0.0.1 with a certificate made by openssl for the test, trusted by the CLI through
 * NODE_EXTRA_CA_CERTS; the plain-HTTP server it redirects to counts what reaches it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { setup } from '../fixtures/registry.js';
import { assertCliError, runCli } from '../helpers.js';

const run = promisify(execFile);

function listen(server: Server, t: { after: (fn: () => Promise<void>) => void }): Promise<number> {
  t.after(() => new Promise<void>((done) => server.close(() => done())));
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

describe('HTTPS directory registry redirected to plain HTTP', () => {
  it('is REGISTRY_ERROR (exit 4) for index.json and for a bundle, nothing written; a plain HTTPS pull works', async (t) => {
    const { dir, aliceKey, bundle, registry } = await setup(t);
    const published = await runCli([
      'publish',
      await bundle(),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
    ]);
    assert.equal(published.code, 0, published.stderr);
    const key = join(dir, 'tls.key');
    const cert = join(dir, 'tls.crt');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ]);

    // The plain-HTTP side serves the registry too: were the redirect followed, the pull would succeed.
    const plainHits: string[] = [];
    const serveRegistry = async (path: string) => readFile(join(registry, decodeURIComponent(path)));
    const plain = createHttpServer(async (req, res) => {
      plainHits.push(req.url ?? '');
      try {
        res.end(await serveRegistry(new URL(req.url ?? '/', 'http://x').pathname));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    const plainPort = await listen(plain, t);
    let downgrade: 'index' | 'bundle' = 'index';
    const https = createHttpsServer(
      { key: await readFile(key), cert: await readFile(cert) },
      async (req, res) => {
        const path = new URL(req.url ?? '/', 'https://x').pathname;
        const redirect =
          (downgrade === 'index' && path.endsWith('/index.json')) ||
          (downgrade === 'bundle' && path.endsWith('.aurion'));
        if (redirect) {
          res.statusCode = 302;
          res.setHeader('Location', `http://127.0.0.1:${plainPort}${path}`);
          res.end();
          return;
        }
        try {
          res.end(await serveRegistry(path));
        } catch {
          res.statusCode = 404;
          res.end();
        }
      },
    );
    const httpsPort = await listen(https as unknown as Server, t);
    const url = `https://127.0.0.1:${httpsPort}/`;
    const env = { NODE_EXTRA_CA_CERTS: cert };
    const out = join(dir, 'pulled.aurion');
    const pull = () => runCli(['pull', 'dns-enum@1.2.0', '--registry', url, '-o', out, '--json'], { env });

    for (const what of ['index', 'bundle'] as const) {
      downgrade = what;
      const r = await pull();
      assertCliError(r, 4, 'REGISTRY_ERROR');
      assert.match(r.json.error.message, /redirected .*to plain HTTP/);
      assert.deepEqual(
        (await readdir(dir)).filter((n) => n.includes('pulled')),
        [],
        what,
      );
    }
    assert.deepEqual(plainHits, [], 'no request reached the plain-HTTP server');

    // The same registry without the downgrade: the certificate and the server are right, the pull works.
    downgrade = 'none' as 'index';
    const ok = await pull();
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(
      await readFile(out),
      await readFile(join(registry, 'plugins', 'dns-enum', 'dns-enum-1.2.0.aurion')),
    );
  });
});
