/**
 * `npm run bench` — the performance targets of the project (docs/performance.md), measured as ratios within
 * one run: every target compares whole processes run as alternating rounds on the same machine, at the same
 * moment. Prints a table and writes bench-results/<date>-<commit>.json.
 *
 *   npm run bench                 full run (modules up to 256 MiB; under ~10 minutes)
 *   npm run bench -- --quick      smaller modules, fewer rounds, for development
 *   npm run bench -- --protos     also the verify-pipeline prototypes of bench/proto/
 *   npm run bench -- --only P1,P3 some targets only
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startRegistry } from '../test/registry/reference-registry.js';
import {
  MiB,
  RUN_JOB,
  realWasm,
  SWC_PACKAGE,
  writePluginProject,
  writeRunProject,
  writeScaleRegistry,
} from './inputs.js';
import { alternate, type Command, round, type Stats } from './measure.js';
import { BENCH_SRC, BIN, CACHE, RESULTS, ROOT } from './paths.js';

interface Config {
  readonly name: 'full' | 'quick';
  /** The large module of P1, P5 and the peers, MiB. */
  readonly large: number;
  /** Module sizes whose verify peak RSS is measured (P2), MiB. */
  readonly rssSizes: readonly number[];
  /**
   * Those of them across which the peak RSS must stay flat (P2), MiB. V8 frees the dead 1 MiB chunk buffers
   * of a streaming verify when about 64 MiB of them have piled up (its external-memory limit), so a verify of
   * a module below that ends before the first such collection, with a lower peak: flatness is judged from 64 MiB
   * on, where every size is in that steady state (a verify that buffered the module would grow by the module's
   * size instead). --quick checks only the bound.
   */
  readonly flatSizes: readonly number[];
  /** The module of a "small" bundle (P3, P4), bytes. */
  readonly small: number;
  readonly batch: number;
  readonly rounds: {
    readonly large: number;
    readonly build: number;
    readonly rss: number;
    readonly startup: number;
    readonly batch: number;
    readonly run: number;
  };
}

const FULL: Config = {
  name: 'full',
  large: 256,
  rssSizes: [1, 16, 64, 128, 256],
  flatSizes: [64, 128, 256],
  small: 16 * 1024,
  batch: 200,
  rounds: { large: 7, build: 5, rss: 3, startup: 21, batch: 21, run: 21 },
};
const QUICK: Config = {
  name: 'quick',
  large: 16,
  rssSizes: [1, 4, 16],
  flatSizes: [],
  small: 16 * 1024,
  batch: 200,
  rounds: { large: 3, build: 3, rss: 1, startup: 7, batch: 3, run: 7 },
};

const TARGETS = {
  P1: { limit: 1.2, text: 'verify of the large bundle / native floor (inflate + SHA-256 in C, one core)' },
  P2: { limit: 128, text: 'peak RSS of verify, MiB; flat as the module grows' },
  P3: { limit: 1.6, text: 'verify of a small bundle / bare `node -e 0`' },
  P4: { limit: 2, text: 'verify of N small bundles in one call / verify of one' },
  P5: { limit: 1.2, text: 'build of the large bundle / native floor (zlib -6 of the module in C, one core)' },
  P6: {
    limit: 1.15,
    text: '`pull` (trust flags) of the large bundle from a loopback OCI registry / `verify` of the local file',
  },
  P6m: { limit: 128, text: 'peak RSS of that `pull`, MiB' },
  P7: {
    limit: 1.3,
    text: '`publish` of the large bundle to a fresh repository of a loopback OCI registry / `verify` of it',
  },
  P7m: { limit: 128, text: 'peak RSS of that `publish`, MiB' },
  P8: { limit: 1.35, text: '`run` of a small correct plugin / `verify` of the same bundle' },
  P8b: { limit: 10, text: '50 runPlugin calls in one process / one (whole processes, library)' },
  P9: {
    limit: 2,
    text: '`publish` into a directory registry holding 10,000 versions / into an empty one',
  },
  P9r: { limit: 1.5, text: '`pull NAME@RANGE` from that registry / from one holding NAME only' },
  P9l: { limit: 1.5, text: '`list NAME` of that registry / of one holding NAME only' },
} as const;
type TargetId = keyof typeof TARGETS;
/** P2 "flat": across config.flatSizes, the largest peak RSS exceeds the smallest by at most this, MiB. */
const FLAT_MIB = 16;

interface TargetResult {
  readonly id: TargetId;
  /** Shown instead of the id; set for a variant measured for the record. */
  readonly label?: string;
  /** Reported, but not one of the targets the exit code reflects. */
  readonly informational?: boolean;
  readonly target: string;
  readonly limit: number;
  readonly value?: number;
  readonly pass?: boolean;
  readonly unavailable?: string;
  readonly detail: Record<string, unknown>;
}

const argv = process.argv.slice(2);
const config = argv.includes('--quick') ? QUICK : FULL;
const protos = argv.includes('--protos');
const onlyArg = argv.find((_, i) => argv[i - 1] === '--only');
const only = new Set((onlyArg ?? 'P1,P2,P3,P4,P5,P6,P7,P8,P9').split(',').map((s) => s.trim().toUpperCase()));
const NODE = process.execPath;
const env = { NO_COLOR: '1', SOURCE_DATE_EPOCH: '1767225600' };
const cli = (...args: string[]) => [NODE, BIN, ...args];
const log = (line: string) => process.stderr.write(`${line}\n`);

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** The CLI's commands as `--help` lists them (other work may land some later). */
const helpText = spawnSync(NODE, [BIN, '--help'], { encoding: 'utf8' }).stdout;
function hasCommand(command: string): boolean {
  return new RegExp(`^  ${command}\\b`, 'm').test(helpText);
}

function run(cmd: readonly string[], cwd = ROOT): string {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited with ${r.status}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty === '' ? sha : `${sha}-dirty`;
  } catch {
    return 'unknown';
  }
}

const sizeName = (bytes: number) => (bytes >= MiB ? `${bytes / MiB}MiB` : `${bytes / 1024}KiB`);

// ---------------------------------------------------------------------------------------------- inputs

// One work folder per run: two benchmarks sharing a cache (two worktrees) never clear each other's inputs.
const work = join(CACHE, `work-${process.pid}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
log(`bench (${config.name}): inputs in ${CACHE}`);
const real = realWasm(CACHE);
const keyFile = join(work, 'bench.key');
const pubFile = join(work, 'bench.pub');
run(['openssl', 'genpkey', '-algorithm', 'ed25519', '-out', keyFile]);
run(['openssl', 'pkey', '-in', keyFile, '-pubout', '-out', pubFile]);

const commands = {
  build: hasCommand('build'),
  sign: hasCommand('sign'),
  verify: hasCommand('verify'),
  run: hasCommand('run'),
  publish: hasCommand('publish'),
  pull: hasCommand('pull'),
  list: hasCommand('list'),
};
const missing = (...names: (keyof typeof commands)[]) => {
  const absent = names.filter((n) => !commands[n]);
  return absent.length === 0 ? undefined : `command ${absent.join(', ')} not in the CLI yet`;
};

/** Module projects by size in bytes; the large one also serves the peers and P5. */
const projects = new Map<number, { dir: string; module: string }>();
async function project(size: number): Promise<{ dir: string; module: string }> {
  let p = projects.get(size);
  if (p === undefined) {
    p = await writePluginProject(
      join(CACHE, 'modules', sizeName(size)),
      `bench-${sizeName(size).toLowerCase()}`,
      size,
      real,
    );
    projects.set(size, p);
  }
  return p;
}

/** A signed bundle of the project (build + sign through the CLI). */
function signedBundle(dir: string, out: string): string {
  run(cli('build', dir, '-o', out, '--json'));
  run(cli('sign', out, '--key', keyFile, '--json'));
  return out;
}

const verifyCmd = (...bundles: string[]) => cli('verify', ...bundles, '--trusted-key', pubFile);
const results: TargetResult[] = [];
const peers: Record<string, unknown> = {};
const prototypes: Record<string, unknown> = {};
const large = config.large * MiB;
const largeProject = await project(large);
const bundleSizes: Record<string, number> = {};

// ---------------------------------------------------------------------------------------------- P1 + peers

if (only.has('P1') || only.has('P2')) {
  const unavailable = missing('build', 'sign', 'verify');
  const group: Command[] = [];
  let bundle: string | undefined;
  if (unavailable === undefined) {
    bundle = signedBundle(largeProject.dir, join(work, `large.aurion`));
    bundleSizes[sizeName(large)] = statSync(bundle).size;
    group.push({ id: 'verify', argv: verifyCmd(bundle), env });
    group.push({ id: 'floor', argv: ['python3', join(BENCH_SRC, 'floors', 'inflate_sha256.py'), bundle] });
  }
  // Peers verify the uncompressed module (they have no archive format).
  const module = largeProject.module;
  group.push({ id: 'openssl dgst -sha256', argv: ['openssl', 'dgst', '-sha256', module] });
  if (have('minisign')) {
    const mdir = join(work, 'minisign');
    mkdirSync(mdir);
    run(['minisign', '-G', '-W', '-p', join(mdir, 'bench.pub'), '-s', join(mdir, 'bench.key')]);
    run(['minisign', '-S', '-s', join(mdir, 'bench.key'), '-m', module, '-x', join(mdir, 'module.minisig')]);
    group.push({
      id: 'minisign -V',
      argv: [
        'minisign',
        '-V',
        '-p',
        join(mdir, 'bench.pub'),
        '-m',
        module,
        '-x',
        join(mdir, 'module.minisig'),
      ],
    });
  }
  if (have('gpg')) {
    const home = join(work, 'gnupg');
    mkdirSync(home, { mode: 0o700 });
    const gpg = (...args: string[]) => ['gpg', '--homedir', home, '--batch', '--quiet', ...args];
    run(
      gpg(
        '--passphrase',
        '',
        '--pinentry-mode',
        'loopback',
        '--quick-gen-key',
        'bench <bench@example.invalid>',
        'ed25519',
        'sign',
        'never',
      ),
    );
    run(gpg('--digest-algo', 'SHA256', '--detach-sign', '-o', join(work, 'module.sig'), module));
    group.push({ id: 'gpg --verify', argv: gpg('--verify', join(work, 'module.sig'), module) });
  }
  if (protos) {
    // The prototypes read a bundle written by the prototype writer (same layout as the product's).
    const protoBundle = join(work, 'proto.tar.gz');
    run([NODE, join(ROOT, 'dist', 'bench', 'proto', 'make-bundle.js'), module, protoBundle]);
    for (const v of ['naive', 'tar-stream-1m', 'hand-events-64k', 'hand-events-1m', 'inflate-only-1m'])
      group.push({
        id: `proto ${v}`,
        argv: [NODE, join(ROOT, 'dist', 'bench', 'proto', 'verify.js'), v, protoBundle],
      });
    if (bundle === undefined)
      group.push({
        id: 'floor',
        argv: ['python3', join(BENCH_SRC, 'floors', 'inflate_sha256.py'), protoBundle],
      });
  }
  log(`P1/P2 ${sizeName(large)}: ${group.map((c) => c.id).join(', ')} x ${config.rounds.large}`);
  const s = alternate(group, config.rounds.large);
  const floor = s['floor'];
  const ours = s['verify'];
  if (only.has('P1'))
    results.push(
      ours !== undefined && floor !== undefined
        ? {
            id: 'P1',
            target: TARGETS.P1.text,
            limit: TARGETS.P1.limit,
            value: round(ours.median_ms / floor.median_ms),
            pass: ours.median_ms / floor.median_ms <= TARGETS.P1.limit,
            detail: {
              module_mib: config.large,
              bundle_bytes: bundleSizes[sizeName(large)],
              verify: ours,
              floor,
            },
          }
        : { id: 'P1', target: TARGETS.P1.text, limit: TARGETS.P1.limit, unavailable, detail: {} },
    );
  for (const [id, st] of Object.entries(s)) {
    if (id === 'verify') continue;
    const entry = {
      ...st,
      ratio_to_verify: ours === undefined ? undefined : round(st.median_ms / ours.median_ms),
    };
    if (id.startsWith('proto '))
      prototypes[id.slice(6)] = {
        ...entry,
        ratio_to_floor: floor === undefined ? undefined : round(st.median_ms / floor.median_ms),
      };
    else peers[id] = entry;
  }
  if (only.has('P2')) {
    const unavailableP2 = missing('build', 'sign', 'verify');
    const rss: Record<string, Stats> = {};
    if (unavailableP2 === undefined && ours !== undefined) {
      const sizes = config.rssSizes.filter((m) => m !== config.large);
      const g: Command[] = [];
      for (const m of sizes) {
        const p = await project(m * MiB);
        const b = signedBundle(p.dir, join(work, `rss-${m}.aurion`));
        bundleSizes[`${m}MiB`] = statSync(b).size;
        g.push({ id: `${m}`, argv: verifyCmd(b), env });
      }
      log(`P2: verify ${sizes.join(', ')} MiB x ${config.rounds.rss}`);
      Object.assign(rss, alternate(g, config.rounds.rss));
      rss[String(config.large)] = ours;
      const peaks = config.rssSizes.map((m) => rss[String(m)]!.peak_rss_mib);
      const peak = Math.max(...peaks);
      const flat = config.flatSizes.map((m) => rss[String(m)]!.peak_rss_mib);
      const spread = flat.length < 2 ? undefined : round(Math.max(...flat) - Math.min(...flat));
      results.push({
        id: 'P2',
        target: TARGETS.P2.text,
        limit: TARGETS.P2.limit,
        value: peak,
        pass: peak <= TARGETS.P2.limit && (spread === undefined || spread <= FLAT_MIB),
        detail: {
          flat_limit_mib: FLAT_MIB,
          flat_across_module_mib: config.flatSizes,
          spread_mib: spread,
          peak_rss_mib_by_module_mib: Object.fromEntries(config.rssSizes.map((m, i) => [m, peaks[i]])),
        },
      });
    } else {
      results.push({
        id: 'P2',
        target: TARGETS.P2.text,
        limit: TARGETS.P2.limit,
        unavailable: unavailableP2,
        detail: {},
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------- P3, P4

if (only.has('P3') || only.has('P4')) {
  const unavailable = missing('build', 'sign', 'verify');
  if (unavailable === undefined) {
    const small = await project(config.small);
    const one = signedBundle(small.dir, join(work, 'small.aurion'));
    bundleSizes[sizeName(config.small)] = statSync(one).size;
    if (only.has('P3')) {
      log(`P3: verify ${sizeName(config.small)} vs node -e 0 x ${config.rounds.startup}`);
      // NODE_EXTRA_CA_CERTS (set on some machines, this workplace's among them) makes every node process parse
      // a certificate file at start-up, both sides alike; the variant without it is measured for the record.
      const extraCa = process.env['NODE_EXTRA_CA_CERTS'] !== undefined;
      const unset = ['NODE_EXTRA_CA_CERTS'];
      const s = alternate(
        [
          { id: 'verify', argv: verifyCmd(one), env },
          { id: 'node -e 0', argv: [NODE, '-e', '0'] },
          ...(extraCa
            ? [
                { id: 'verify (no extra CA)', argv: verifyCmd(one), env, unset },
                { id: 'node -e 0 (no extra CA)', argv: [NODE, '-e', '0'], unset },
              ]
            : []),
        ],
        config.rounds.startup,
        3,
      );
      const ratio = s['verify']!.median_ms / s['node -e 0']!.median_ms;
      results.push({
        id: 'P3',
        target: TARGETS.P3.text,
        limit: TARGETS.P3.limit,
        value: round(ratio),
        pass: ratio <= TARGETS.P3.limit,
        detail: {
          module_bytes: config.small,
          node_extra_ca_certs: extraCa,
          verify: s['verify'],
          node: s['node -e 0'],
        },
      });
      if (extraCa) {
        const bare = s['verify (no extra CA)']!.median_ms / s['node -e 0 (no extra CA)']!.median_ms;
        results.push({
          id: 'P3',
          label: 'P3*',
          informational: true,
          target: `${TARGETS.P3.text}, both without NODE_EXTRA_CA_CERTS (for the record)`,
          limit: TARGETS.P3.limit,
          value: round(bare),
          pass: bare <= TARGETS.P3.limit,
          detail: {
            module_bytes: config.small,
            verify: s['verify (no extra CA)'],
            node: s['node -e 0 (no extra CA)'],
          },
        });
      }
    }
    if (only.has('P4')) {
      // Distinct plugins (20 names), each copied to reach the batch size: verify keeps no cache between bundles.
      const dir = join(work, 'batch');
      mkdirSync(dir);
      const distinct: string[] = [];
      for (let i = 0; i < 20; i++) {
        const p = await writePluginProject(
          join(work, 'batch-src', `p${i}`),
          `batch-plugin-${i}`,
          config.small + i * 512,
          real,
        );
        distinct.push(signedBundle(p.dir, join(work, 'batch-src', `p${i}.aurion`)));
      }
      const files: string[] = [];
      for (let i = 0; i < config.batch; i++) {
        const f = join(dir, `b${String(i).padStart(3, '0')}.aurion`);
        copyFileSync(distinct[i % distinct.length]!, f);
        files.push(f);
      }
      log(`P4: verify ${config.batch} bundles vs 1 x ${config.rounds.batch}`);
      const s = alternate(
        [
          { id: 'batch', argv: verifyCmd(...files), env },
          { id: 'one', argv: verifyCmd(files[0]!), env },
        ],
        config.rounds.batch,
        2,
      );
      const ratio = s['batch']!.median_ms / s['one']!.median_ms;
      results.push({
        id: 'P4',
        target: TARGETS.P4.text.replace('N', String(config.batch)),
        limit: TARGETS.P4.limit,
        value: round(ratio),
        pass: ratio <= TARGETS.P4.limit,
        detail: { bundles: config.batch, batch: s['batch'], one: s['one'] },
      });
    }
  } else {
    for (const id of ['P3', 'P4'] as const)
      if (only.has(id))
        results.push({ id, target: TARGETS[id].text, limit: TARGETS[id].limit, unavailable, detail: {} });
  }
}

// ---------------------------------------------------------------------------------------------- P5

if (only.has('P5')) {
  const unavailable = missing('build');
  if (unavailable === undefined) {
    const out = join(work, 'build-out.aurion');
    log(`P5: build ${sizeName(large)} vs zlib -6 x ${config.rounds.build}`);
    const s = alternate(
      [
        { id: 'build', argv: cli('build', largeProject.dir, '-o', out), env },
        { id: 'floor', argv: ['python3', join(BENCH_SRC, 'floors', 'deflate.py'), largeProject.module] },
      ],
      config.rounds.build,
      1,
    );
    const ratio = s['build']!.median_ms / s['floor']!.median_ms;
    results.push({
      id: 'P5',
      target: TARGETS.P5.text,
      limit: TARGETS.P5.limit,
      value: round(ratio),
      pass: ratio <= TARGETS.P5.limit,
      detail: { module_mib: config.large, build: s['build'], floor: s['floor'] },
    });
  } else {
    results.push({ id: 'P5', target: TARGETS.P5.text, limit: TARGETS.P5.limit, unavailable, detail: {} });
  }
}

// ---------------------------------------------------------------------------------------------- P6, P7

/** A ratio target from the stats of one alternating group: `ours` over `base`. */
function ratioResult(id: TargetId, ours: Stats, base: Stats, detail: Record<string, unknown>): TargetResult {
  const ratio = ours.median_ms / base.median_ms;
  return {
    id,
    target: TARGETS[id].text,
    limit: TARGETS[id].limit,
    value: round(ratio),
    pass: ratio <= TARGETS[id].limit,
    detail: { ours, base, ...detail },
  };
}

function rssResult(id: TargetId, ours: Stats): TargetResult {
  return {
    id,
    target: TARGETS[id].text,
    limit: TARGETS[id].limit,
    value: ours.peak_rss_mib,
    pass: ours.peak_rss_mib <= TARGETS[id].limit,
    detail: {},
  };
}

const registryPeers: Record<string, unknown> = {};
/** Where skopeo (containers/image) keeps its blob-info cache: root's, and a user's. */
const SKOPEO_BLOB_CACHES = [
  '/var/lib/containers/cache/blob-info-cache-v1.boltdb',
  join(
    process.env['XDG_DATA_HOME'] ?? join(process.env['HOME'] ?? '/nonexistent', '.local', 'share'),
    'containers',
    'cache',
    'blob-info-cache-v1.boltdb',
  ),
];
if (only.has('P6') || only.has('P7')) {
  const unavailable =
    missing('build', 'sign', 'verify', 'publish', 'pull') ??
    (have('docker-registry') ? undefined : 'docker-registry (the reference OCI registry) is not installed');
  const ids = ['P6', 'P6m', 'P7', 'P7m'].filter((id) => only.has(id.slice(0, 2))) as TargetId[];
  if (unavailable === undefined) {
    const stops: (() => Promise<void>)[] = [];
    try {
      const registry = await startRegistry({ after: (fn) => stops.push(fn) });
      const bundle = signedBundle(largeProject.dir, join(work, 'oci-large.aurion'));
      const name = `bench-${sizeName(large).toLowerCase()}`;
      const bundleSha = createHash('sha256').update(readFileSync(bundle)).digest('hex');
      const trust = ['--trusted-key', pubFile];
      run(cli('publish', bundle, '--registry', registry.url('bench'), ...trust, '--json'));
      const tag = `${registry.authority}/bench/${name}:1.0.0`;
      const skopeoDir = join(work, 'skopeo-pulled');
      const skopeo = have('skopeo');
      if (skopeo)
        run(['skopeo', 'copy', '--quiet', '--src-tls-verify=false', `docker://${tag}`, `dir:${skopeoDir}`]);
      // The earlier targets wrote hundreds of MiB (P5's modules and bundles, the publish above). Flushed now,
      // untimed: else the kernel writes them back during the rounds below, and an fsync of the ext4 journal
      // waits for them — a cost that lands on whichever command writes (pull, publish), never on verify.
      run(['sync']);
      if (only.has('P6')) {
        log(`P6: pull ${sizeName(large)} from ${registry.authority} vs verify x ${config.rounds.large}`);
        const s = alternate(
          [
            {
              id: 'pull',
              argv: cli(
                'pull',
                `${name}@1.0.0`,
                '--registry',
                registry.url('bench'),
                ...trust,
                '-o',
                join(work, 'pulled.aurion'),
              ),
              env,
            },
            { id: 'verify', argv: verifyCmd(bundle), env },
            ...(skopeo
              ? [
                  {
                    id: 'skopeo copy (pull)',
                    argv: [
                      'skopeo',
                      'copy',
                      '--quiet',
                      '--src-tls-verify=false',
                      `docker://${tag}`,
                      `dir:${join(work, 'skopeo-p6-{n}')}`,
                    ],
                    before: ['rm', '-rf', join(work, 'skopeo-p6-{n}')],
                  },
                ]
              : []),
          ],
          config.rounds.large,
        );
        results.push(ratioResult('P6', s['pull']!, s['verify']!, { bundle_bytes: statSync(bundle).size }));
        results.push(rssResult('P6m', s['pull']!));
        if (s['skopeo copy (pull)'] !== undefined)
          registryPeers['skopeo copy registry -> dir (P6)'] = {
            ...s['skopeo copy (pull)'],
            ratio_to_verify: round(s['skopeo copy (pull)'].median_ms / s['verify']!.median_ms),
          };
      }
      if (only.has('P7')) {
        run(['sync']);
        log(`P7: publish ${sizeName(large)} to a fresh repository vs verify x ${config.rounds.large}`);
        const s = alternate(
          [
            {
              id: 'publish',
              argv: cli('publish', bundle, '--registry', registry.url('fresh-{n}'), ...trust),
              env,
            },
            { id: 'verify', argv: verifyCmd(bundle), env },
            {
              id: 'registry ingest',
              argv: [
                'python3',
                join(BENCH_SRC, 'floors', 'oci_put.py'),
                registry.authority,
                `ingest-{n}/${name}`,
                bundle,
                bundleSha,
              ],
            },
            ...(skopeo
              ? [
                  {
                    id: 'skopeo copy (push)',
                    // skopeo remembers where it saw each blob and would mount it from there instead of uploading
                    // it: its blob-info cache goes before each run, so that it uploads like publish does.
                    before: ['rm', '-f', ...SKOPEO_BLOB_CACHES],
                    argv: [
                      'skopeo',
                      'copy',
                      '--quiet',
                      '--dest-tls-verify=false',
                      `dir:${skopeoDir}`,
                      `docker://${registry.authority}/skopeo-{n}/${name}:1.0.0`,
                    ],
                  },
                ]
              : []),
          ],
          config.rounds.large,
        );
        results.push(ratioResult('P7', s['publish']!, s['verify']!, { bundle_bytes: statSync(bundle).size }));
        results.push(rssResult('P7m', s['publish']!));
        // Verification first, then the upload: no publish can take less than verify plus the registry's own
        // ingest of the blob (one monolithic PUT by a minimal client).
        const ingest = s['registry ingest']!;
        const floor = (s['verify']!.median_ms + ingest.median_ms) / s['verify']!.median_ms;
        results.push({
          id: 'P7',
          label: 'P7 floor',
          informational: true,
          target:
            '(verify + the registry ingesting the blob from a minimal client) / verify: the least a publish that verifies first can take',
          limit: TARGETS.P7.limit,
          value: round(floor),
          pass: floor <= TARGETS.P7.limit,
          detail: { ours: ingest, base: s['verify']! },
        });
        registryPeers['registry ingest: one PUT by a minimal client (P7)'] = {
          ...ingest,
          ratio_to_verify: round(ingest.median_ms / s['verify']!.median_ms),
        };
        if (s['skopeo copy (push)'] !== undefined)
          registryPeers['skopeo copy dir -> registry (P7)'] = {
            ...s['skopeo copy (push)'],
            ratio_to_verify: round(s['skopeo copy (push)'].median_ms / s['verify']!.median_ms),
          };
      }
      if (!skopeo) registryPeers['skopeo'] = 'not installed';
    } finally {
      for (const stop of stops) await stop();
    }
  } else {
    for (const id of ids)
      results.push({ id, target: TARGETS[id].text, limit: TARGETS[id].limit, unavailable, detail: {} });
  }
}

// ---------------------------------------------------------------------------------------------- P8

if (only.has('P8')) {
  const unavailable = missing('build', 'sign', 'verify', 'run');
  if (unavailable === undefined) {
    const bundle = signedBundle(await writeRunProject(join(work, 'run-src')), join(work, 'run.aurion'));
    const jobFlags = [
      '--target',
      RUN_JOB.target,
      '--config',
      RUN_JOB.config,
      '--scope',
      RUN_JOB.scopeId,
      '--job-id',
      RUN_JOB.jobId,
    ];
    log(`P8: run vs verify of one small plugin x ${config.rounds.run}`);
    const s = alternate(
      [
        { id: 'run', argv: cli('run', bundle, '--trusted-key', pubFile, ...jobFlags), env },
        { id: 'verify', argv: verifyCmd(bundle), env },
      ],
      config.rounds.run,
      3,
    );
    const ratio = s['run']!.median_ms / s['verify']!.median_ms;
    results.push({
      id: 'P8',
      target: TARGETS.P8.text,
      limit: TARGETS.P8.limit,
      value: round(ratio),
      pass: ratio <= TARGETS.P8.limit,
      detail: { run: s['run'], verify: s['verify'] },
    });
    // The library: a process that runs the plugin N times with runPlugin, every run checked.
    const script = join(work, 'run-many.mjs');
    writeFileSync(
      script,
      `import { loadTrust, runPlugin } from ${JSON.stringify(join(ROOT, 'dist', 'src', 'index.js'))};
const trust = await loadTrust({ trustedKeys: [${JSON.stringify(pubFile)}] });
const job = ${JSON.stringify({ target: RUN_JOB.target, config: RUN_JOB.config, scopeId: RUN_JOB.scopeId, jobId: RUN_JOB.jobId })};
for (let i = 0; i < Number(process.argv[2]); i++) {
  const report = await runPlugin(${JSON.stringify(bundle)}, { trust, job });
  if (!report.ok) throw new Error(JSON.stringify(report.error));
}
`,
    );
    log(`P8b: 50 runPlugin calls vs 1, in one process x ${config.rounds.run}`);
    const m = alternate(
      [
        { id: 'fifty', argv: [NODE, script, '50'], env },
        { id: 'one', argv: [NODE, script, '1'], env },
      ],
      config.rounds.run,
      2,
    );
    const many = m['fifty']!.median_ms / m['one']!.median_ms;
    results.push({
      id: 'P8b',
      target: TARGETS.P8b.text,
      limit: TARGETS.P8b.limit,
      value: round(many),
      pass: many <= TARGETS.P8b.limit,
      detail: { fifty: m['fifty'], one: m['one'] },
    });
  } else {
    for (const id of ['P8', 'P8b'] as const)
      results.push({ id, target: TARGETS[id].text, limit: TARGETS[id].limit, unavailable, detail: {} });
  }
}

// ---------------------------------------------------------------------------------------------- P9

if (only.has('P9')) {
  const unavailable = missing('build', 'sign', 'publish', 'pull', 'list');
  if (unavailable === undefined) {
    const small = await writePluginProject(join(work, 'p9-src'), 'bench-scale', config.small, real);
    const bundle = signedBundle(small.dir, join(work, 'p9.aurion'));
    const trust = ['--trusted-key', pubFile];
    // One registry holding bench-scale only, one holding it and 10,000 versions of 100 other plugins; a
    // publish goes into a restored copy each run (an empty folder, or the 10,000 versions without bench-scale).
    const alone = join(work, 'p9-alone');
    run(cli('publish', bundle, '--registry', alone, ...trust, '--json'));
    const big = join(work, 'p9-big');
    const fillerVersions = writeScaleRegistry(big, alone, 'bench-scale', 100, 100);
    const bigEmpty = join(work, 'p9-big-template.json');
    copyFileSync(join(big, 'index.json'), bigEmpty);
    const restoreBig = join(work, 'p9-restore');
    run(['cp', '-al', big, restoreBig]);
    run(cli('publish', bundle, '--registry', big, ...trust, '--json'));
    const fresh = join(work, 'p9-fresh');
    log(`P9: publish into 10,000 versions vs into an empty registry x ${config.rounds.startup}`);
    const pub = alternate(
      [
        {
          id: 'into 10,000',
          argv: cli('publish', bundle, '--registry', restoreBig, ...trust),
          env,
          before: [
            'sh',
            '-c',
            'rm -rf "$1/plugins/bench-scale" && cp "$2" "$1/index.json"',
            'sh',
            restoreBig,
            bigEmpty,
          ],
        },
        {
          id: 'into empty',
          argv: cli('publish', bundle, '--registry', fresh, ...trust),
          env,
          before: ['rm', '-rf', fresh],
        },
      ],
      config.rounds.startup,
      2,
    );
    results.push(
      ratioResult('P9', pub['into 10,000']!, pub['into empty']!, { filler_versions: fillerVersions }),
    );
    const out = join(work, 'p9-pulled.aurion');
    const q = alternate(
      [
        { id: 'pull big', argv: cli('pull', 'bench-scale@^1.0.0', '--registry', big, '-o', out), env },
        { id: 'pull alone', argv: cli('pull', 'bench-scale@^1.0.0', '--registry', alone, '-o', out), env },
        { id: 'list big', argv: cli('list', 'bench-scale', '--registry', big, '--json'), env },
        { id: 'list alone', argv: cli('list', 'bench-scale', '--registry', alone, '--json'), env },
      ],
      config.rounds.startup,
      2,
    );
    results.push(ratioResult('P9r', q['pull big']!, q['pull alone']!, { filler_versions: fillerVersions }));
    results.push(ratioResult('P9l', q['list big']!, q['list alone']!, { filler_versions: fillerVersions }));
  } else {
    for (const id of ['P9', 'P9r', 'P9l'] as const)
      results.push({ id, target: TARGETS[id].text, limit: TARGETS[id].limit, unavailable, detail: {} });
  }
}

// ---------------------------------------------------------------------------------------------- report

const order: TargetId[] = [
  'P1',
  'P2',
  'P3',
  'P4',
  'P5',
  'P6',
  'P6m',
  'P7',
  'P7m',
  'P8',
  'P8b',
  'P9',
  'P9r',
  'P9l',
];
results.sort(
  (a, b) =>
    order.indexOf(a.id) - order.indexOf(b.id) ||
    Number(a.informational === true) - Number(b.informational === true),
);
const stamp = new Date().toISOString();
const sha = commit();
const report = {
  date: stamp,
  commit: sha,
  config,
  machine: {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    node: process.version,
    loadavg_at_end: loadavg().map((l) => round(l)),
  },
  input: { real_module: SWC_PACKAGE, bundle_bytes: bundleSizes },
  results,
  peers,
  registry_peers: registryPeers,
  prototypes,
};

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
const fmtMs = (s: unknown) => (s === undefined ? '-' : `${(s as Stats).median_ms.toFixed(0)} ms`);
const rows = [['target', 'measured', 'limit', 'result', 'ours (median)', 'baseline (median)', 'peak RSS']];
for (const r of results) {
  if (r.unavailable !== undefined) {
    rows.push([r.label ?? r.id, '-', String(r.limit), `n/a: ${r.unavailable}`, '', '', '']);
    continue;
  }
  const d = r.detail as Record<string, Stats | undefined>;
  const [oursS, baseS] =
    r.id === 'P1'
      ? [d['verify'], d['floor']]
      : r.id === 'P3'
        ? [d['verify'], d['node']]
        : r.id === 'P4'
          ? [d['batch'], d['one']]
          : r.id === 'P5'
            ? [d['build'], d['floor']]
            : r.id === 'P8'
              ? [d['run'], d['verify']]
              : r.id === 'P8b'
                ? [d['fifty'], d['one']]
                : ['ours', 'base'].every((k) => k in d)
                  ? [d['ours'], d['base']]
                  : [undefined, undefined];
  const measured =
    r.id === 'P2'
      ? `${r.value} MiB (spread ${r.detail['spread_mib'] === undefined ? 'n/a' : (r.detail['spread_mib'] as number).toFixed(1)})`
      : r.id === 'P6m' || r.id === 'P7m'
        ? `${r.value} MiB`
        : `${r.value!.toFixed(2)}x`;
  const limit =
    r.id === 'P2'
      ? `${r.limit} MiB, spread <= ${FLAT_MIB}`
      : r.id === 'P6m' || r.id === 'P7m'
        ? `${r.limit} MiB`
        : `${r.limit}x`;
  rows.push([
    r.label ?? r.id,
    measured,
    limit,
    r.pass ? 'PASS' : 'FAIL',
    fmtMs(oursS),
    fmtMs(baseS),
    oursS === undefined ? '' : `${oursS.peak_rss_mib.toFixed(0)} MiB`,
  ]);
}
process.stdout.write(
  `\naurion-plugin bench (${config.name}) — ${sha}, ${stamp}, node ${process.version}\n\n`,
);
process.stdout.write(`${table(rows)}\n`);
const peerRows = [
  ['on the same ' + `${config.large} MiB module`, 'median', 'vs our verify', 'peak RSS', 'input'],
];
const p1 = results.find((r) => r.id === 'P1' && r.unavailable === undefined);
for (const [id, st] of Object.entries({
  ...(p1 === undefined
    ? {}
    : { 'aurion-plugin verify': { ...(p1.detail['verify'] as Stats), ratio_to_verify: 1 } }),
  ...peers,
  ...Object.fromEntries(Object.entries(prototypes).map(([k, v]) => [`proto ${k}`, v])),
})) {
  const s = st as Stats & { ratio_to_verify?: number };
  peerRows.push([
    id,
    `${s.median_ms.toFixed(0)} ms`,
    s.ratio_to_verify === undefined ? '-' : `${s.ratio_to_verify.toFixed(2)}x`,
    `${s.peak_rss_mib.toFixed(0)} MiB`,
    id === 'floor' || id === 'aurion-plugin verify'
      ? 'the bundle (gzip tar)'
      : id.startsWith('proto')
        ? 'prototype bundle (gzip tar)'
        : 'uncompressed module',
  ]);
}
if (peerRows.length > 1) process.stdout.write(`\n${table(peerRows)}\n`);
const registryRows = [['on the same bundle, loopback OCI registry', 'median', 'vs our verify', 'peak RSS']];
for (const [id, st] of Object.entries(registryPeers)) {
  if (typeof st === 'string') registryRows.push([id, st, '', '']);
  else {
    const s = st as Stats & { ratio_to_verify: number };
    registryRows.push([
      id,
      `${s.median_ms.toFixed(0)} ms`,
      `${s.ratio_to_verify.toFixed(2)}x`,
      `${s.peak_rss_mib.toFixed(0)} MiB`,
    ]);
  }
}
if (registryRows.length > 1) process.stdout.write(`\n${table(registryRows)}\n`);
const notes = [
  'Ratios are median over median of whole processes run in alternating rounds, in this run.',
  ...(peerRows.length > 1
    ? ['Peers check the uncompressed module: they skip inflating, most of what our verify does.']
    : []),
  ...(results.some((r) => r.label === 'P7 floor')
    ? [
        'P7 floor is verify plus the registry ingesting the blob from a minimal client (bench/floors/oci_put.py), over',
        '  verify: the least a publish that verifies before sending anything can take; for the record, not counted.',
      ]
    : []),
  ...(results.some((r) => r.label === 'P3*')
    ? [
        'P3* is P3 with NODE_EXTRA_CA_CERTS unset for both sides (this machine sets it, and every node process then',
        '  parses that certificate file at start-up): for the record, not counted in the exit code.',
      ]
    : []),
];
process.stdout.write(`\n${notes.join('\n')}\n`);
mkdirSync(RESULTS, { recursive: true });
// The date with the time of day, so that runs of one commit do not overwrite each other.
const file = join(RESULTS, `${stamp.slice(0, 19).replace(/:/g, '')}-${sha}.json`);
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(
  `\nload average at the end: ${report.machine.loadavg_at_end.join(' ')}; JSON: ${file}\n`,
);
if (existsSync(work) && !argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
const failed = results.some((r) => r.pass === false && r.informational !== true);
process.exitCode = failed ? 1 : 0;
