import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { formatOciRef, isLoopback, parsePluginRef, parseRegistryRef } from '../../src/registry/reference.js';
import { expectAurionError } from '../helpers.js';

describe('--registry', () => {
  it('a path or file:// URL is a directory registry', () => {
    assert.deepEqual(parseRegistryRef('./reg'), { kind: 'directory', path: resolve('reg') });
    assert.deepEqual(parseRegistryRef('file:///srv/aurion%20reg'), {
      kind: 'directory',
      path: '/srv/aurion reg',
    });
  });

  it('oci://HOST[:PORT]/NAMESPACE is an OCI registry; HTTPS unless loopback or --plain-http', () => {
    const ghcr = parseRegistryRef('oci://ghcr.io/my-org/plugins');
    assert.deepEqual(ghcr, {
      kind: 'oci',
      hostname: 'ghcr.io',
      authority: 'ghcr.io',
      namespace: 'my-org/plugins',
      plainHttp: false,
    });
    assert.equal(formatOciRef(ghcr as never), 'oci://ghcr.io/my-org/plugins');
    const local = parseRegistryRef('oci://127.0.0.1:5000/ns/');
    assert.equal(local.kind === 'oci' && local.plainHttp, true);
    assert.equal(local.kind === 'oci' && local.port, 5000);
    assert.equal(local.kind === 'oci' && local.namespace, 'ns');
    const v6 = parseRegistryRef('oci://[::1]:5000/ns');
    assert.equal(v6.kind === 'oci' && v6.hostname, '::1');
    assert.equal(v6.kind === 'oci' && v6.plainHttp, true);
    const lan = parseRegistryRef('oci://registry.lan:5000/ns', { plainHttp: true });
    assert.equal(lan.kind === 'oci' && lan.plainHttp, true);
    assert.equal(parseRegistryRef('oci://10.0.0.1/ns').kind === 'oci', true);
    const noNamespace = parseRegistryRef('oci://localhost:5000');
    assert.equal(noNamespace.kind === 'oci' && noNamespace.namespace, '');
  });

  it('knows loopback hosts', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.255.0.9', '::1'])
      assert.equal(isLoopback(h), true, h);
    for (const h of ['10.0.0.1', '127.0.0.256', 'localhost.example', '128.0.0.1'])
      assert.equal(isLoopback(h), false, h);
  });

  it('refuses what it cannot use (USAGE)', async () => {
    for (const bad of [
      '',
      'ftp://ghcr.io/org',
      'http://example.com/reg/',
      'https://user:secret@example.com/reg/',
      'https://example.com/reg/?x=1',
      'oci://',
      'oci://host:99999/ns',
      'oci://host/Upper',
      'oci://ho st/ns',
      'oci://host/ns//x',
      'file://remote-host/path',
    ]) {
      await expectAurionError(() => parseRegistryRef(bad), 'USAGE');
    }
    await expectAurionError(() => parseRegistryRef('./reg', { plainHttp: true }), 'USAGE');
  });

  it('reads https:// and loopback http:// as read-only directory registries (SPEC §11)', () => {
    const https = parseRegistryRef('https://cdn.example.com/plugins');
    assert.equal(https.kind, 'http');
    assert.equal(https.kind === 'http' && https.url.href, 'https://cdn.example.com/plugins/');
    assert.equal(parseRegistryRef('http://127.0.0.1:8080/reg/').kind, 'http');
    assert.equal(parseRegistryRef('http://[::1]:8080/reg/').kind, 'http');
    assert.equal(parseRegistryRef('http://example.com/reg/', { plainHttp: true }).kind, 'http');
  });
});

describe('NAME@VERSION', () => {
  it('parses a plugin name and SemVer version', () => {
    assert.deepEqual(parsePluginRef('dns-enum@1.2.0'), { name: 'dns-enum', version: '1.2.0' });
    assert.deepEqual(parsePluginRef('x1@1.0.0-rc.1+b.2'), { name: 'x1', version: '1.0.0-rc.1+b.2' });
  });

  it('is USAGE when malformed', async () => {
    for (const bad of [
      'dns-enum',
      'dns-enum@',
      '@1.0.0',
      'DNS@1.0.0',
      'dns-enum@1.0',
      'dns-enum@v1.0.0',
      'a@1.0.0',
      'dns@1.0.0@2',
    ]) {
      await expectAurionError(() => parsePluginRef(bad), 'USAGE');
    }
  });
});
