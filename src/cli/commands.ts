import type { Command } from 'commander';
import { register as authz } from '../commands/authz.js';
import { register as build } from '../commands/build.js';
import { register as cacheKey } from '../commands/cache-key.js';
import { register as init } from '../commands/init.js';
import { register as inspect } from '../commands/inspect.js';
import { register as keygen } from '../commands/keygen.js';
import { register as list } from '../commands/list.js';
import { register as publish } from '../commands/publish.js';
import { register as pull } from '../commands/pull.js';
import { register as registry } from '../commands/registry.js';
import { register as run } from '../commands/run.js';
import { register as sign } from '../commands/sign.js';
import { register as verify } from '../commands/verify.js';
import { register as yank } from '../commands/yank.js';
import type { Cli } from './context.js';

/** Every command, in the order `--help` lists them. Each module declares its flags and a thin action. */
export const COMMANDS: ReadonlyArray<(program: Command, cli: Cli) => void> = [
  init,
  keygen,
  build,
  sign,
  verify,
  inspect,
  publish,
  pull,
  run,
  list,
  yank,
  registry,
  cacheKey,
  authz,
];
