/**
 * Output files (SPEC §2), through the real CLI: symbolic links are followed and their targets replaced, devices
 * and FIFOs are written in place and never replaced, write errors and directories are IO_ERROR, no-clobber
 * writes refuse every existing name, leftovers of killed writers are removed, long names work. Devices are made
 * with mknod inside each test's own temporary folder (the tests run as root); the machine's /dev is never used.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { hostTag } from '../../src/io/owner.js';
import { writeTestBundle } from '../fixtures/bundles.js';
import { writeProject } from '../fixtures/projects.js';
import { setup } from '../fixtures/registry.js';
import { assertCliError, ROOT, type RunResult, runCli, tempDir } from '../helpers.js';
import { deadPid } from '../registry/util.js';

type T = Parameters<typeof tempDir>[0];

/** A character device like /dev/null (1,3) or /dev/full (1,7), made inside `dir`. */
function mknod(dir: string, name: 'null' | 'full'): string {
  const path = join(dir, name);
  execFileSync('mknod', [path, 'c', '1', name === 'null' ? '3' : '7']);
  return path;
}

function mkfifo(dir: string, name = 'fifo'): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

async function assertCharDevice(path: string): Promise<void> {
  const st = await lstat(path);
  assert.ok(st.isCharacterDevice(), `${path} is no longer a character device`);
}

/** Names of temporary files left in `dir`. */
async function temps(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.includes('aurion-tmp'));
}

/** A plugin project and the bytes `build` makes of it (builds are reproducible). */
async function project(t: T) {
  const root = await tempDir(t);
  const dir = join(root, 'dns-enum');
  await writeProject(dir);
  const reference = join(root, 'reference.aurion');
  const r = await runCli(['build', dir, '-o', reference, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return { root, dir, bytes: await readFile(reference) };
}

/** A key and an unsigned bundle, and the bytes `sign -o` makes of it (Ed25519 signing is deterministic). */
async function signing(t: T) {
  const root = await tempDir(t);
  const k = await runCli(['keygen', '--out', join(root, 'alice'), '--json']);
  assert.equal(k.code, 0, k.stderr);
  const key = join(root, 'alice.key');
  const bundle = await writeTestBundle(join(root, 'dns-enum-1.2.0.aurion'));
  const reference = join(root, 'reference.aurion');
  const r = await runCli(['sign', bundle, '--key', key, '-o', reference, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return { root, key, bundle, bytes: await readFile(reference) };
}

/** A directory registry holding a signed dns-enum@1.2.0, and its bytes. */
async function registry(t: T) {
  const { dir, aliceKey, bundle, registry } = await setup(t);
  const path = await bundle();
  const r = await runCli(['publish', path, '--registry', registry, '--trusted-key', aliceKey, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const pull = (out: string) =>
    runCli([
      'pull',
      'dns-enum@1.2.0',
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '-o',
      out,
      '--json',
    ]);
  return { root: dir, pull, bytes: await readFile(path) };
}

/** Runs the CLI writing into a FIFO while this process reads it; returns the run and the bytes read. */
async function throughFifo(fifo: string, run: () => Promise<RunResult>): Promise<[RunResult, Buffer]> {
  // The reader is a child process: a run that never opens the FIFO (one that replaced it, say) would leave a
  // reader blocked in open(2) for ever, and a child can be killed out of that.
  const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  reader.stdout.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve) => reader.on('close', resolve));
  const result = await run();
  const timer = setTimeout(() => reader.kill('SIGKILL'), 5000);
  await ended;
  clearTimeout(timer);
  return [result, Buffer.concat(chunks)];
}

describe('outputs: symbolic links are followed, their targets replaced', () => {
  it('build -o LINK replaces the target in another folder, the link stays, no temp file anywhere', async (t) => {
    const { root, dir, bytes } = await project(t);
    const elsewhere = join(root, 'elsewhere');
    await mkdir(elsewhere);
    const target = join(elsewhere, 'real.aurion');
    await writeFile(target, 'old content');
    const link = join(root, 'out.aurion');
    await symlink('elsewhere/real.aurion', link);
    const r = await runCli(['build', dir, '-o', link, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await lstat(link)).isSymbolicLink(), 'the link was replaced');
    assert.equal(await readlink(link), 'elsewhere/real.aurion');
    assert.deepEqual(await readFile(target), bytes);
    assert.deepEqual(await temps(root), []);
    assert.deepEqual(await temps(elsewhere), []);
  });

  it('build -o DANGLING-LINK creates the target; a chain of links is followed to its end', async (t) => {
    const { root, dir, bytes } = await project(t);
    const link = join(root, 'dangling.aurion');
    await symlink('created.aurion', link);
    let r = await runCli(['build', dir, '-o', link, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.deepEqual(await readFile(join(root, 'created.aurion')), bytes);

    const chain = join(root, 'chain.aurion');
    await symlink(link, chain);
    await writeFile(join(root, 'created.aurion'), 'stale');
    r = await runCli(['build', dir, '-o', chain, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await lstat(chain)).isSymbolicLink());
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.deepEqual(await readFile(join(root, 'created.aurion')), bytes);
  });

  it('sign in place through a link, and sign -o LINK: the targets hold the signed bundle', async (t) => {
    const { root, key, bundle, bytes } = await signing(t);
    const sub = join(root, 'sub');
    await mkdir(sub);
    const inPlaceTarget = join(sub, 'in-place.aurion');
    await writeFile(inPlaceTarget, await readFile(bundle));
    const inPlaceLink = join(root, 'in-place-link.aurion');
    await symlink(inPlaceTarget, inPlaceLink);
    let r = await runCli(['sign', inPlaceLink, '--key', key, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await lstat(inPlaceLink)).isSymbolicLink());
    assert.deepEqual(await readFile(inPlaceTarget), bytes);

    const outTarget = join(sub, 'out.aurion');
    const outLink = join(root, 'out-link.aurion');
    await symlink(outTarget, outLink);
    r = await runCli(['sign', bundle, '--key', key, '-o', outLink, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await lstat(outLink)).isSymbolicLink());
    assert.deepEqual(await readFile(outTarget), bytes);
    assert.deepEqual(await temps(root), []);
    assert.deepEqual(await temps(sub), []);
  });

  it('pull -o LINK replaces the target', async (t) => {
    const { root, pull, bytes } = await registry(t);
    const target = join(root, 'target.aurion');
    await writeFile(target, 'old');
    const link = join(root, 'link.aurion');
    await symlink(target, link);
    const r = await pull(link);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.deepEqual(await readFile(target), bytes);
    assert.deepEqual(await temps(root), []);
  });
});

describe('outputs: devices and FIFOs are written in place, never replaced', () => {
  it('build -o NULL-DEVICE succeeds and leaves a character device; -o FULL-DEVICE is IO_ERROR (exit 4)', async (t) => {
    const { root, dir } = await project(t);
    const devNull = mknod(root, 'null');
    const devFull = mknod(root, 'full');
    const ok = await runCli(['build', dir, '-o', devNull, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    await assertCharDevice(devNull);
    const full = await runCli(['build', dir, '-o', devFull, '--json']);
    assertCliError(full, 4, 'IO_ERROR');
    assert.match(full.json.error.message, /no space left on device/);
    await assertCharDevice(devFull);
    assert.deepEqual(await temps(root), []);
  });

  it('build -o LINK-TO-DEVICE writes the device and keeps the link', async (t) => {
    const { root, dir } = await project(t);
    const devNull = mknod(root, 'null');
    const link = join(root, 'link');
    await symlink(devNull, link);
    const r = await runCli(['build', dir, '-o', link, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await lstat(link)).isSymbolicLink());
    await assertCharDevice(devNull);
  });

  it('build -o FIFO streams the bundle into the FIFO, which stays a FIFO', async (t) => {
    const { root, dir, bytes } = await project(t);
    const fifo = mkfifo(root);
    const [r, read] = await throughFifo(fifo, () => runCli(['build', dir, '-o', fifo, '--json']));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(read, bytes);
    assert.ok((await lstat(fifo)).isFIFO());
    assert.deepEqual(await temps(root), []);
  });

  it('sign -o NULL-DEVICE and -o FIFO write in place; -o FULL-DEVICE is IO_ERROR and the input is untouched', async (t) => {
    const { root, key, bundle, bytes } = await signing(t);
    const before = await readFile(bundle);
    const devNull = mknod(root, 'null');
    const devFull = mknod(root, 'full');
    const ok = await runCli(['sign', bundle, '--key', key, '-o', devNull, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    await assertCharDevice(devNull);
    const full = await runCli(['sign', bundle, '--key', key, '-o', devFull, '--json']);
    assertCliError(full, 4, 'IO_ERROR');
    await assertCharDevice(devFull);
    const fifo = mkfifo(root);
    const [r, read] = await throughFifo(fifo, () =>
      runCli(['sign', bundle, '--key', key, '-o', fifo, '--json']),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(read, bytes);
    assert.ok((await lstat(fifo)).isFIFO());
    assert.deepEqual(await readFile(bundle), before);
    assert.deepEqual(await temps(root), []);
  });

  it('pull -o NULL-DEVICE and -o FIFO write in place after the checks; -o FULL-DEVICE is IO_ERROR', async (t) => {
    const { root, pull, bytes } = await registry(t);
    const devNull = mknod(root, 'null');
    const devFull = mknod(root, 'full');
    const ok = await pull(devNull);
    assert.equal(ok.code, 0, ok.stderr);
    await assertCharDevice(devNull);
    const full = await pull(devFull);
    assertCliError(full, 4, 'IO_ERROR');
    await assertCharDevice(devFull);
    const fifo = mkfifo(root);
    const [r, read] = await throughFifo(fifo, () => pull(fifo));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(read, bytes);
    assert.ok((await lstat(fifo)).isFIFO());
    assert.deepEqual(await temps(root), []);
  });

  it('an output that is a directory (or a link to one) is IO_ERROR for build, sign and pull', async (t) => {
    const { root, dir } = await project(t);
    const folder = join(root, 'a-folder');
    await mkdir(folder);
    const link = join(root, 'folder-link');
    await symlink(folder, link);
    for (const out of [folder, link]) {
      const r = await runCli(['build', dir, '-o', out, '--json']);
      assertCliError(r, 4, 'IO_ERROR');
      assert.match(r.json.error.message, /directory/);
    }
    const s = await signing(t);
    assertCliError(await runCli(['sign', s.bundle, '--key', s.key, '-o', folder, '--json']), 4, 'IO_ERROR');
    const p = await registry(t);
    assertCliError(await p.pull(folder), 4, 'IO_ERROR');
    assert.deepEqual(await readdir(folder), []);
  });
});

describe('outputs: no-clobber writes refuse every existing name', () => {
  it('keygen refuses a dangling link, a device and a FIFO (ALREADY_EXISTS, exit 4) and creates nothing', async (t) => {
    const root = await tempDir(t);
    await symlink(join(root, 'nowhere.key'), join(root, 'a.key'));
    let r = await runCli(['keygen', '--out', join(root, 'a'), '--json']);
    assertCliError(r, 4, 'ALREADY_EXISTS');
    assert.ok((await lstat(join(root, 'a.key'))).isSymbolicLink());
    await assert.rejects(lstat(join(root, 'nowhere.key')), { code: 'ENOENT' });

    // keygen writes PREFIX.key and PREFIX.pub: a device named b.pub.
    execFileSync('mknod', [join(root, 'b.pub'), 'c', '1', '3']);
    r = await runCli(['keygen', '--out', join(root, 'b'), '--json']);
    assertCliError(r, 4, 'ALREADY_EXISTS');
    await assertCharDevice(join(root, 'b.pub'));
    mkfifo(root, 'c.key');
    r = await runCli(['keygen', '--out', join(root, 'c'), '--json']);
    assertCliError(r, 4, 'ALREADY_EXISTS');
    assert.ok((await lstat(join(root, 'c.key'))).isFIFO());
    assert.deepEqual(
      (await readdir(root)).filter((n) => !['a.key', 'b.pub', 'c.key'].includes(n)),
      [],
      'keygen left files behind',
    );
  });

  it('init without --force refuses a dangling manifest.json link; with --force it writes the target', async (t) => {
    const root = await tempDir(t);
    const dir = join(root, 'plugin');
    await mkdir(dir);
    await symlink(join(root, 'elsewhere.json'), join(dir, 'manifest.json'));
    const r = await runCli(['init', dir, '--json']);
    assertCliError(r, 4, 'ALREADY_EXISTS');
    await assert.rejects(lstat(join(root, 'elsewhere.json')), { code: 'ENOENT' });
    const forced = await runCli(['init', dir, '--force', '--json']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok((await lstat(join(dir, 'manifest.json'))).isSymbolicLink());
    assert.equal(JSON.parse(await readFile(join(root, 'elsewhere.json'), 'utf8')).schema_version, 1);
  });
});

describe('outputs: temporary files of killed writers', () => {
  const tempOf = (name: string, pid: number, tag = hostTag()) =>
    `.${name}.aurion-tmp-${pid}-${tag}-${randomBytes(6).toString('hex')}`;

  it('the next build -o removes temps of dead owners on this host; live owners and other hosts keep theirs', async (t) => {
    const { root, dir, bytes } = await project(t);
    const dead = tempOf('out.aurion', await deadPid());
    const live = tempOf('out.aurion', process.pid);
    const foreign = tempOf('out.aurion', await deadPid(), hostTag('another-host.example'));
    const otherOutput = tempOf('other.aurion', await deadPid());
    for (const name of [dead, live, foreign, otherOutput]) await writeFile(join(root, name), 'partial');
    const r = await runCli(['build', dir, '-o', join(root, 'out.aurion'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await readFile(join(root, 'out.aurion')), bytes);
    assert.deepEqual((await temps(root)).sort(), [live, foreign, otherOutput].sort());
  });

  it('a writer killed by SIGKILL mid-write leaves a temp file that the next sign -o removes', async (t) => {
    const { root, key, bundle, bytes } = await signing(t);
    const out = join(root, 'signed.aurion');
    const atomic = pathToFileURL(join(ROOT, 'dist', 'src', 'io', 'atomic.js')).href;
    const script = `
      const { writeStreamAtomic } = await import(${JSON.stringify(atomic)});
      await writeStreamAtomic(${JSON.stringify(out)}, async (out) => {
        out.write(Buffer.alloc(1 << 20));
        await new Promise(() => setInterval(() => {}, 1000));
      });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    const ended = new Promise((resolve) => child.on('exit', resolve));
    for (let i = 0; i < 400 && (await temps(root)).length === 0; i++) await sleep(25);
    const [left] = await temps(root);
    assert.match(
      left ?? '',
      new RegExp(`^\\.signed\\.aurion\\.aurion-tmp-${child.pid}-${hostTag()}-[0-9a-f]{12}$`),
    );
    child.kill('SIGKILL');
    await ended;
    assert.deepEqual(await temps(root), [left], 'SIGKILL cannot clean up');
    const r = await runCli(['sign', bundle, '--key', key, '-o', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await temps(root), []);
    assert.deepEqual(await readFile(out), bytes);
  });
});

describe('outputs: names as long as the file system allows', () => {
  /** A name of exactly `bytes` bytes ending in .aurion; `wide` uses 2-byte characters. */
  const longName = (bytes: number, wide = false) => {
    const stem = bytes - '.aurion'.length;
    const body = wide ? 'é'.repeat(Math.floor(stem / 2)) + 'x'.repeat(stem % 2) : 'x'.repeat(stem);
    const name = `${body}.aurion`;
    assert.equal(Buffer.byteLength(name), bytes);
    return name;
  };

  it('build -o and sign -o write names of 230 to 255 bytes, and leave no temp file', async (t) => {
    const { root, dir, bytes } = await project(t);
    const s = await signing(t);
    for (const [size, wide] of [
      [230, false],
      [240, false],
      [254, true],
      [255, false],
    ] as const) {
      const name = longName(size, wide);
      let r = await runCli(['build', dir, '-o', join(root, name), '--json']);
      assert.equal(r.code, 0, `build, ${size} bytes: ${r.stderr}`);
      assert.deepEqual(await readFile(join(root, name)), bytes);
      r = await runCli(['sign', s.bundle, '--key', s.key, '-o', join(s.root, name), '--json']);
      assert.equal(r.code, 0, `sign, ${size} bytes: ${r.stderr}`);
      assert.deepEqual(await readFile(join(s.root, name)), s.bytes);
    }
    assert.deepEqual(await temps(root), []);
    assert.deepEqual(await temps(s.root), []);
  });

  it('a dead writer of a 255-byte output is cleaned up by the next write of it', async (t) => {
    const { root, dir } = await project(t);
    const name = longName(255);
    const out = join(root, name);
    const atomic = pathToFileURL(join(ROOT, 'dist', 'src', 'io', 'atomic.js')).href;
    const script = `
      const { tempPathFor } = await import(${JSON.stringify(atomic)});
      const { writeFileSync } = await import('node:fs');
      writeFileSync(tempPathFor(${JSON.stringify(out)}), 'partial');`;
    execFileSync(process.execPath, ['--input-type=module', '-e', script]);
    const [left] = await temps(root);
    assert.ok(left !== undefined && Buffer.byteLength(left) <= 255);
    const r = await runCli(['build', dir, '-o', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await temps(root), []);
    assert.ok((await stat(out)).isFile());
  });
});
