#!/usr/bin/env node
'use strict';
// CommonJS (bin/package.json), like the launcher it loads (dist/src/cli/launch.cjs, built from
// src/cli/launch.ts): Node's ES module loader is never started, and nothing has used libuv's thread pool yet
// when this runs, whose size is fixed when it starts. Signature checks of a batch run on the pool while
// the main thread reads the next bundles; the default four pool threads on a two-core machine take turns with
// the main thread for its core, so the pool gets one thread per core but one, at least two
// (docs/performance.md). A UV_THREADPOOL_SIZE set by the user is kept.
if (process.env.UV_THREADPOOL_SIZE === undefined) {
  const cores = require('node:os').availableParallelism();
  process.env.UV_THREADPOOL_SIZE = String(Math.max(2, cores - 1));
}
// Fail closed: should the event loop ever run dry while the command is still pending (a promise that never
// settles), the process exits 4 (INTERNAL) with a message, never 0 as Node would.
let finished = false;
process.on('exit', () => {
  if (finished) return;
  process.stderr.write('error: INTERNAL: the command stopped before it finished (please report this bug)\n');
  process.exitCode = 4;
});
require('../dist/src/cli/launch.cjs')
  .launch(process.argv.slice(2))
  .then((code) => {
    finished = true;
    process.exitCode = code;
  });
