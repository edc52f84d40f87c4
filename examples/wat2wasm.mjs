// Compiles a WAT file to a wasm binary with the wabt npm package (installed by `npm ci`), so the walkthrough
// needs no native toolchain: node examples/wat2wasm.mjs IN.wat OUT.wasm
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import initWabt from 'wabt';

const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  process.stderr.write('usage: node examples/wat2wasm.mjs IN.wat OUT.wasm\n');
  process.exit(2);
}
const wabt = await initWabt();
const module = wabt.parseWat(input, readFileSync(input, 'utf8'));
const { buffer } = module.toBinary({});
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, buffer);
