/** The walkthrough's example plugin (examples/dns-enum/dns_enum.wat) honours the job contract under `run`. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { assertCliError, ROOT, runCli, tempDir } from '../helpers.js';
import { PUB, pluginBundle } from '../ops/run-fixtures.js';

describe('the example plugin', () => {
  it('computes the cache key (BLAKE3 over several blocks) and echoes the job id, escapes included', async (t) => {
    const source = await readFile(join(ROOT, 'examples', 'dns-enum', 'dns_enum.wat'), 'utf8');
    const bundle = await pluginBundle(join(await tempDir(t), 'p'), source, { version: '0.1.0' });
    const configs = [
      '{}',
      canonicalJson(
        JSON.stringify({
          domain: 'example.com',
          depth: 2,
          labels: Array.from({ length: 40 }, (_, i) => `w${i}`),
        }),
      ),
    ];
    for (const config of configs) {
      for (const jobId of ['plain', 'quote " and \\ back\\slash']) {
        const r = await runCli([
          'run',
          bundle,
          '--trusted-key',
          PUB,
          '--target',
          'example.com',
          '--config',
          config,
          '--scope',
          'scope-1',
          '--job-id',
          jobId,
          '--json',
        ]);
        assert.equal(r.code, 0, `${config} ${jobId}: ${r.stderr}`);
        assert.equal(r.json.job_result.job_id, jobId);
        assert.deepEqual(r.json.job_result.output_json, { subdomains: [] });
      }
    }
    // A config not in canonical form: the example hashes it as given, and run catches the wrong key.
    const r = await runCli([
      'run',
      bundle,
      '--trusted-key',
      PUB,
      '--target',
      'example.com',
      '--config',
      '{"domain": "example.com"}',
      '--scope',
      'scope-1',
      '--json',
    ]);
    assertCliError(r, 1, 'CACHE_KEY_MISMATCH');
  });
});
