/**
 * Times of authorizations (SPEC §2, §9): RFC 3339 date-times (`T`/`Z` in either case, numeric offsets) and,
 * for the CLI's TIME arguments, durations from now (`<n>s|m|h|d`). Pure: "now" is always passed in.
 */

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 date-time with a time zone; undefined for anything else, including impossible dates
 * (2027-02-30), hours past 23, leap seconds (JavaScript time has none) and offsets past 23:59. Fractions of a
 * second finer than a millisecond are truncated.
 */
export function parseRfc3339(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const base = Date.UTC(year, month - 1, day, hour, minute, second);
  const probe = new Date(base);
  // Date.UTC rolls 2027-02-30 over to March; a date that does not come back unchanged does not exist.
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    return undefined;
  }
  const millis = m[7] === undefined ? 0 : Math.trunc(Number(`0${m[7]}`) * 1000);
  let offset = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offset = (m[9] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return new Date(base + millis - offset);
}

const DURATION = /^(\d{1,9})([smhd])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration `<n>s|m|h|d` (`72h`, `14d`) in milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (m === null) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** A TIME argument: an RFC 3339 date-time, or a duration counted from `now`. Undefined when it is neither. */
export function parseTimeArgument(text: string, now: Date): Date | undefined {
  const duration = parseDuration(text);
  if (duration !== undefined) return new Date(now.getTime() + duration);
  return parseRfc3339(text);
}

/**
 * The form written into a statement: UTC with `Z`, to the second (with milliseconds only when there are
 * some), e.g. `2026-12-31T23:59:59Z`.
 */
export function formatTime(time: Date): string {
  const iso = time.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}
