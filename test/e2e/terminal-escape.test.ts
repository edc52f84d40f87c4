/**
 * SPEC §2: human output never carries control characters taken from data. A bundle whose manifest text or wasm
 * names hold terminal escape sequences must not rewrite what an auditor reads (issue 11, item 6); `--json`
 * keeps the exact values (JSON escapes control characters itself).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { signedWasmBundle, writeBundleFile } from '../fixtures/bundles.js';
import { ed25519Key, writePem } from '../fixtures/keys.js';
import { manifestValue, sourceManifest } from '../fixtures/manifests.js';
import { TINY_WASM, wat } from '../fixtures/modules.js';
import { writeProject } from '../fixtures/projects.js';
import { runCli, tempDir } from '../helpers.js';

/** Anything a terminal would act on: C0 (newline aside: it separates our own lines), DEL, C1, bidi controls. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function assertNoRawControl(text: string, what: string): void {
  const m = RAW_CONTROL.exec(text);
  assert.equal(
    m,
    null,
    `${what} carries U+${m?.[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m?.index}: ${JSON.stringify(text)}`,
  );
}

/** Erase the line, move up: what an attacker would use to hide "VulnerabilityScan High". */
const ERASE_UP = '\u001b[2K\u001b[1A';

/** A custom section (id 0) appended to a valid module: custom sections may appear anywhere. */
function withCustomSection(module: Buffer, name: string, payload = Buffer.from('x')): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const body = Buffer.concat([Buffer.from([nameBytes.length]), nameBytes, payload]);
  assert.ok(body.length < 128);
  return Buffer.concat([module, Buffer.from([0, body.length]), body]);
}

describe('control characters from data in human output (SPEC §2)', () => {
  it('inspect escapes manifest text and wasm names; --json keeps the exact values', async (t) => {
    const dir = await tempDir(t);
    const manifest = sourceManifest({
      description: `Passive DNS enumeration${ERASE_UP}`,
      author: 'Mallory \u202eliamg\u202c <m@example.org>',
      homepage: 'https://example.org/\u009b2K',
      license: 'MIT\nverdict      ✓ verified',
      capabilities: ['VulnerabilityScan'],
      risk_class: 'High',
      supported_scopes: ['*.example.com\u0007'],
    });
    const module = withCustomSection(
      await wat(`(module
        (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "run") (result i32) (i32.const 0))
        (export "\\1b[2Khidden\\09" (func 1)))`),
      `meta${ERASE_UP}`,
    );
    await writeProject(dir, manifest, module);
    const bundle = join(dir, 'p.aurion');
    const b = await runCli(['build', dir, '-o', bundle]);
    assert.equal(b.code, 0, b.stderr);

    const r = await runCli(['inspect', bundle]);
    assert.equal(r.code, 0, r.stderr);
    assertNoRawControl(r.stdout, 'inspect stdout');
    assertNoRawControl(r.stderr, 'inspect stderr');
    const out = r.stdout;
    assert.match(out, /^dns-enum@1\.2\.0 — Passive DNS enumeration\\x1b\[2K\\x1b\[1A$/m);
    assert.match(out, /^ {2}author +Mallory \\u202eliamg\\u202c <m@example\.org>$/m);
    assert.match(out, /^ {2}homepage +https:\/\/example\.org\/\\x9b2K$/m);
    assert.match(out, /^ {2}license +MIT\\x0averdict {6}✓ verified$/m);
    assert.match(out, /^ {2}scopes +\*\.example\.com\\x07$/m);
    assert.match(out, /^ {2}custom sections +meta\\x1b\[2K\\x1b\[1A \(\d+ bytes\)$/m);
    assert.match(out, /^ {2}exports +.*\\x1b\[2Khidden\\x09 \(func\)/m);
    assert.match(out, /^ {2}VulnerabilityScan {2}High {4}AuthorizationBundle required$/m);

    const j = await runCli(['inspect', bundle, '--json']);
    assert.equal(j.code, 0, j.stderr);
    assert.equal(j.json.description, `Passive DNS enumeration${ERASE_UP}`);
    assert.equal(j.json.manifest.license, 'MIT\nverdict      ✓ verified');
    // JSON escapes C0 controls (ESC as \u001b); C1 and bidi characters stay as JSON.stringify leaves them.
    assert.ok(j.stdout.includes('\\u001b[2K'), 'JSON escapes ESC as \\u001b');
    assert.doesNotMatch(j.stdout, /[\u0000-\u0009\u000b-\u001f]/);
  });

  it('verify escapes data echoed in per-bundle errors and in the signer name', async (t) => {
    const dir = await tempDir(t);
    const alice = ed25519Key();
    const pub = await writePem(dir, 'alice.pub', alice.publicPem);
    // An unknown manifest key is quoted in the MANIFEST_INVALID message.
    const bad = await writeBundleFile(join(dir, 'bad.aurion'), {
      manifest: Buffer.from(
        JSON.stringify(
          manifestValue({
            module: { path: 'module.wasm', sha256: '0'.repeat(64), size: TINY_WASM.length },
            [`${ERASE_UP}x`]: 1,
          }),
        ),
      ),
      module: TINY_WASM,
    });
    const r = await runCli(['verify', bad, '--trusted-key', pub]);
    assert.equal(r.code, 3, r.stderr);
    assertNoRawControl(r.stdout, 'verify stdout');
    assert.match(r.stdout, /MANIFEST_INVALID .*\/\\x1b\[2K\\x1b\[1Ax is not a known property/);
    const j = await runCli(['verify', bad, '--trusted-key', pub, '--json']);
    assert.equal(j.code, 3);
    assert.equal(j.json.results[0].errors[0].code, 'MANIFEST_INVALID');
    assert.ok(j.json.results[0].errors[0].message.includes(`/${ERASE_UP}x`), 'JSON keeps the exact text');

    // A trust policy's key name is data too.
    const { path } = await signedWasmBundle(dir, alice);
    const policy = join(dir, 'policy.json');
    await writePem(
      dir,
      'policy.json',
      JSON.stringify({
        schema_version: 1,
        keys: [{ key_id: alice.keyId, public_key_file: 'alice.pub', name: `alice${ERASE_UP}` }],
      }),
    );
    const ok = await runCli(['verify', path, '--trust-policy', policy]);
    assert.equal(ok.code, 0, ok.stderr);
    assertNoRawControl(ok.stdout, 'verify stdout (pass)');
    assert.match(ok.stdout, /\(alice\\x1b\[2K\\x1b\[1A\)/);
  });

  it('top-level errors printed on stderr escape the data they quote', async (t) => {
    const dir = await tempDir(t);
    await writeProject(dir, sourceManifest({ [`${ERASE_UP}bad`]: 1 }));
    const r = await runCli(['build', dir]);
    assert.equal(r.code, 3, r.stderr);
    assertNoRawControl(r.stderr, 'build stderr');
    assert.match(r.stderr, /^error: invalid manifest .*\/\\x1b\[2K\\x1b\[1Abad is not a known property/m);
    const j = await runCli(['build', dir, '--json']);
    assert.equal(j.code, 3);
    assert.equal(j.json.error.code, 'MANIFEST_INVALID');
    assert.ok(j.json.error.message.includes(`/${ERASE_UP}bad`), 'JSON keeps the exact text');
  });
});
