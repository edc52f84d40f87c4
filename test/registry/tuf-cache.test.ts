import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cacheFolder, mayReadSigned } from '../../src/registry/tuf-cache.js';
import { tempDir } from '../helpers.js';

describe('mayReadSigned: the cheap look before tuf-js is loaded', () => {
  it('false only when there is no --tuf-root and nothing where the cache keeps a root', async (t) => {
    const cacheDir = await tempDir(t);
    const key = 'file:///srv/registry/';
    assert.equal(await mayReadSigned({ cacheDir }, key), false);
    assert.equal(await mayReadSigned({ cacheDir: join(cacheDir, 'missing') }, key), false);
    assert.equal(await mayReadSigned({ cacheDir, rootFile: join(cacheDir, 'root.json') }, key), true);
    // Anything at the cached root's name goes to the full check, even what is not a readable file.
    await mkdir(join(cacheFolder(cacheDir, key), 'root.json'), { recursive: true });
    assert.equal(await mayReadSigned({ cacheDir }, key), true);
    // Another registry's cached root does not count.
    assert.equal(await mayReadSigned({ cacheDir }, 'file:///srv/other/'), false);
    await writeFile(join(cacheFolder(cacheDir, 'file:///srv/other/'), '..', 'stray'), 'x');
    assert.equal(await mayReadSigned({ cacheDir }, 'file:///srv/other/'), false);
  });
});
