/**
 * Times (SPEC §2): the one parser of the RFC 3339 date-times the tool reads (trust policy and authorizer
 * `expires`, authorization windows, index `published_at`), and the durations `<n>s|m|h|d` of TIME arguments. `T` and `Z` are
 * accepted in either case (RFC 3339 §5.6 note), offsets `+hh:mm`/`-hh:mm` and fractional seconds are allowed; a
 * zone is required. The schemas' timestamp patterns (trust policy, registry index `published_at`) accept the
 * same shape.
 */

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** The instant `text` names; undefined when it is not an RFC 3339 date-time or names an impossible one. */
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
  // Date.UTC rolls 2027-02-30 over to March; compare the fields back to refuse such dates.
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    probe.getUTCFullYear() !== year ||
    probe.getUTCMonth() !== month - 1 ||
    probe.getUTCDate() !== day ||
    probe.getUTCHours() !== hour ||
    probe.getUTCMinutes() !== minute ||
    probe.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const hours = Number(m[10]);
    const minutes = Number(m[11]);
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  // Milliseconds from the fraction (further digits are below the clock's resolution).
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  return new Date(probe.getTime() + millis - offsetMinutes * 60_000);
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
