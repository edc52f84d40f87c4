// The API report (etc/*.api.md): every exported name and type of the package root and of each subpath export,
// made by API Extractor from the compiled declarations. `npm test` runs it in check mode, so a change to the
// public API fails until its report is updated on purpose: `npm run api:update`, then review the diff.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { Extractor, ExtractorConfig } = require('@microsoft/api-extractor');
const update = process.argv.includes('--update');

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const entries = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === 'object')
  .map(([subpath, target]) => ({
    name: subpath === '.' ? 'aurion-plugin' : `aurion-plugin-${subpath.slice(2)}`,
    types: join(root, target.types),
  }));

mkdirSync(join(root, 'etc'), { recursive: true });
const changed = [];
for (const entry of entries) {
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: root,
      mainEntryPointFilePath: entry.types,
      compiler: { tsconfigFilePath: join(root, 'tsconfig.json') },
      apiReport: {
        enabled: true,
        reportFileName: `${entry.name}.api.md`,
        reportFolder: join(root, 'etc'),
        reportTempFolder: join(root, 'dist', 'api-report'),
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        // Only the report is wanted here; TSDoc style and forgotten-export notes are not API changes.
        extractorMessageReporting: {
          default: { logLevel: 'none' },
          'ae-missing-release-tag': { logLevel: 'none' },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
        compilerMessageReporting: { default: { logLevel: 'warning' } },
      },
    },
    configObjectFullPath: join(root, 'api-extractor.json'),
    packageJsonFullPath: join(root, 'package.json'),
  });
  const result = Extractor.invoke(config, { localBuild: update, showVerboseMessages: false });
  if (result.apiReportChanged) changed.push(`etc/${entry.name}.api.md`);
  if (!result.succeeded && !update) changed.push(`${entry.name}: API Extractor failed`);
}
if (changed.length > 0 && !update) {
  console.error(
    `The public API changed: ${changed.join(', ')}.\n` +
      'If that is intended, run `npm run api:update` and commit the reports (review their diff first).',
  );
  process.exit(1);
}
console.log(
  update
    ? `API reports written to etc/ (${entries.length} entry points)`
    : `API reports unchanged (${entries.length} entry points)`,
);
