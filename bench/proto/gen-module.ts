/** node dist/bench/proto/gen-module.js MIB OUT — one benchmark module (see bench/inputs.ts), for experiments. */
import { join } from 'node:path';
import { MiB, realWasm, writeModule } from '../inputs.js';
import { CACHE } from '../paths.js';

const [mib, out] = process.argv.slice(2);
if (out === undefined) throw new Error('usage: gen-module.js MIB OUT');
await writeModule(out, Math.round(Number(mib) * MiB), realWasm(join(CACHE)));
