import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, runCli, tempDir } from '../helpers.js';

const exec = promisify(execFile);

describe('README walkthrough (npm run walkthrough)', () => {
  it('runs init -> build -> sign -> verify -> publish -> pull -> verify -> run on a directory registry', async (t) => {
    const work = await tempDir(t);
    const { stderr } = await exec('bash', [join(ROOT, 'examples', 'walkthrough.sh'), work], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    assert.match(stderr, /walkthrough complete/);
    // It ends by running the verified plugin: the job contract held (its answer, its cache key).
    assert.match(stderr, /✓ dns-enum@0\.1\.0 job "walkthrough-1" succeeded in \d+ ms/);

    // The registry holds exactly the published, verified plugin and nothing else.
    const registry = join(work, 'registry');
    assert.deepEqual((await readdir(registry)).sort(), ['index.json', 'plugins']);
    const index = JSON.parse(await readFile(join(registry, 'index.json'), 'utf8'));
    const entry = index.plugins['dns-enum']['0.1.0'];
    assert.equal(entry.risk_class, 'Low');
    assert.deepEqual(entry.capabilities, ['PassiveEnum']);

    // The pulled copy is byte-identical to the published bundle and verifies with the example key.
    const published = await readFile(join(work, 'dns-enum', 'dist', 'dns-enum-0.1.0.aurion'));
    const pulled = await readFile(join(work, 'pulled.aurion'));
    assert.ok(published.equals(pulled));
    const verify = await runCli([
      'verify',
      join(work, 'pulled.aurion'),
      '--trusted-key',
      join(ROOT, 'keys-example', 'example.pub'),
      '--json',
    ]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(verify.json.results[0].signer.key_id, entry.key_id);
  });
});
