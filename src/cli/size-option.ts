/**
 * --max-module-size, for every command that reads or writes a module (build, sign, verify, inspect, publish,
 * pull), declared once so that each spells, documents and defaults it the same way.
 */
import { Option } from 'commander';
import { DEFAULT_LIMITS, parseSize } from '../core/bundle/format.js';

export interface MaxModuleSizeFlags {
  readonly maxModuleSize?: string;
}

const DEFAULT = `${DEFAULT_LIMITS.module / (1024 * 1024)}MiB`;

/** The option, for a command's `.addOption(...)`. */
export function maxModuleSizeOption(): Option {
  return new Option(
    '--max-module-size <size>',
    'largest module.wasm accepted: bytes, or with a KiB/MiB/GiB suffix',
  ).default(DEFAULT);
}

/** The limit in bytes; USAGE (exit 2) for anything parseSize refuses. */
export function maxModuleSizeOf(flags: MaxModuleSizeFlags): number {
  return parseSize(flags.maxModuleSize ?? DEFAULT);
}
