/** The hardened container command of SPEC §8, for `run --print-command` and for running it. Pure. */
import type { Manifest } from '../types.js';

export type ContainerEngine = 'docker' | 'podman';
export const CONTAINER_ENGINES: readonly ContainerEngine[] = ['docker', 'podman'];

/**
 * The argv, engine first. `env` is consulted only to see which declared names are set: each goes on the
 * command line as `--env NAME`, so the engine takes the value from its own environment and no value is ever
 * on a command line (where `ps` shows it). `memoryMib` is the (possibly lowered) memory limit.
 */
export function containerCommand(
  manifest: Manifest,
  engine: ContainerEngine,
  memoryMib: number,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const c = manifest.container!;
  const argv = [
    engine,
    'run',
    '--rm',
    '-i',
    '--pull',
    'never',
    '--network',
    'none',
    '--read-only',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--security-opt',
    `seccomp=${c.seccomp_profile}`,
    '--security-opt',
    `apparmor=${c.apparmor_profile}`,
    '--user',
    c.user,
    '--memory',
    `${memoryMib}m`,
    '--pids-limit',
    '256',
  ];
  for (const name of c.env ?? []) {
    if (env[name] !== undefined) argv.push('--env', name);
  }
  argv.push(c.image);
  return argv;
}

/** A POSIX shell rendering of an argv, for people to copy (single quotes where needed). */
export function shellCommand(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}
