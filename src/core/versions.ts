/**
 * Version resolution (SPEC §11): `NAME` takes the highest published version that is not a prerelease,
 * `NAME@VERSION` exactly that version, `NAME@RANGE` the highest that satisfies an npm-style SemVer range
 * (`^1.2`, `~1.4.0`, `>=2 <3`, `1.x`) with npm's rules (the `semver` package; a prerelease satisfies a range only
 * when the range names a prerelease of the same major.minor.patch).
 */
// The functions used, each from its own module: the package's index loads all fifty of them (about 10 ms of
// start-up for every pull and publish).
import compareBuild from 'semver/functions/compare-build.js';
import prerelease from 'semver/functions/prerelease.js';
import satisfies from 'semver/functions/satisfies.js';
import validVersion from 'semver/functions/valid.js';
import validRange from 'semver/ranges/valid.js';
import { AurionError } from '../errors.js';

export type VersionQuery =
  | { readonly kind: 'latest' }
  | { readonly kind: 'exact'; readonly version: string }
  | { readonly kind: 'range'; readonly range: string };

/** SPEC §3 plugin name and SemVer 2.0.0 version (the same rules as schemas/manifest.schema.json). */
export const PLUGIN_NAME = /^[a-z][a-z0-9-]*[a-z0-9]$/;
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Parses `NAME`, `NAME@VERSION` or `NAME@RANGE`; USAGE otherwise. */
export function parsePluginQuery(text: string): { name: string; query: VersionQuery } {
  const at = text.indexOf('@');
  const name = at === -1 ? text : text.slice(0, at);
  const spec = at === -1 ? undefined : text.slice(at + 1);
  const hint = 'write NAME, NAME@VERSION or NAME@RANGE, e.g. dns-enum, dns-enum@1.2.0 or dns-enum@^1.2';
  if (!PLUGIN_NAME.test(name) || name.length > 64) {
    throw new AurionError('USAGE', `"${name}" in "${text}" is not a valid plugin name`, {
      hint: `${hint}; a name is 2-64 lowercase letters, digits and '-'`,
    });
  }
  if (spec === undefined) return { name, query: { kind: 'latest' } };
  if (SEMVER.test(spec)) return { name, query: { kind: 'exact', version: spec } };
  if (spec.trim() !== '' && validRange(spec) !== null) return { name, query: { kind: 'range', range: spec } };
  throw new AurionError(
    'USAGE',
    `"${spec}" in "${text}" is neither a SemVer version nor an npm version range`,
    {
      hint,
    },
  );
}

/** How a query reads in messages. */
export function describeQuery(name: string, query: VersionQuery): string {
  if (query.kind === 'latest') return `${name} (highest release)`;
  return query.kind === 'exact' ? `${name}@${query.version}` : `${name}@${query.range}`;
}

/** SemVer 2.0.0 precedence; versions equal but for build metadata are then ordered as text (a total order). */
export function compareSemver(a: string, b: string): number {
  return compareBuild(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The version a query picks among `available` (versions that are published and not yanked); undefined: none. */
export function pickVersion(available: readonly string[], query: VersionQuery): string | undefined {
  const valid = available.filter((v) => validVersion(v) !== null);
  if (query.kind === 'exact') return available.includes(query.version) ? query.version : undefined;
  const candidates =
    query.kind === 'latest'
      ? valid.filter((v) => prerelease(v) === null)
      : valid.filter((v) => satisfies(v, query.range));
  return candidates.sort(compareSemver).at(-1);
}
