import type { Command } from 'commander';
import type { Cli } from '../cli/context.js';
import { decodeUtf8 } from '../core/json.js';
import { AurionError } from '../errors.js';
import { INPUT_LIMITS, readSmallFile } from '../io/files.js';

interface CacheKeyOptions {
  readonly name: string;
  readonly version: string;
  readonly config?: string;
  readonly configFile?: string;
  readonly scope: string;
}

const HINT = "run 'aurion-plugin cache-key --help' for its usage";

/** The config text and how to name it in messages; exactly one of --config / --config-file. */
async function configText(opts: CacheKeyOptions): Promise<{ text: string; source: string }> {
  if (opts.config !== undefined && opts.configFile !== undefined) {
    throw new AurionError('USAGE', 'give either --config or --config-file, not both', { hint: HINT });
  }
  if (opts.config !== undefined) return { text: opts.config, source: '--config' };
  if (opts.configFile === undefined) {
    throw new AurionError('USAGE', 'the config is missing: give --config JSON or --config-file FILE', {
      hint: HINT,
    });
  }
  const source = `config file ${opts.configFile}`;
  const bytes = await readSmallFile(opts.configFile, 'config file', INPUT_LIMITS.jobConfig);
  try {
    return { text: decodeUtf8(bytes), source };
  } catch {
    throw new AurionError('CONFIG_INVALID', `invalid JSON in ${source}: not valid UTF-8`, {
      hint: 'save the config as UTF-8',
    });
  }
}

export function register(program: Command, cli: Cli): void {
  program
    .command('cache-key')
    .description("print the orchestrator's deterministic cache key for a job (BLAKE3, serde_json canonical)")
    .requiredOption('--name <name>', 'plugin name')
    .requiredOption('--version <version>', 'plugin version')
    .option('--config <json>', 'job configuration as JSON text (any JSON value)')
    .option('--config-file <file>', 'read the job configuration from a file')
    .requiredOption('--scope <id>', 'scope id')
    .action(async (opts: CacheKeyOptions) => {
      // Loaded when the command runs, not at start-up: each command pays only for its own modules.
      const { computeCacheKey } = await import('../core/cachekey.js');
      const { text, source } = await configText(opts);
      const key = computeCacheKey({
        name: opts.name,
        version: opts.version,
        config: text,
        scope: opts.scope,
        source,
      });
      cli.out.result({ cache_key: key.cacheKey, canonical_config: key.canonicalConfig }, () => key.cacheKey);
    });
}
