/**
 * RFC 3339 date-times (SPEC §2): the one parser of times the tool reads (trust policy `expires`). `T` and `Z` are
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
