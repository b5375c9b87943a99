/**
 * Times an operator types or copies: always with an explicit time zone, nothing a shell or locale
 * could reinterpret. Two spellings are accepted:
 * - ISO 8601: `2026-03-14T13:44:59Z`, `2026-03-14T14:44:59+01:00` (also `+0100`, `+01`, without
 *   seconds, with fractions);
 * - PostgreSQL's, as a log line starts (`log_line_prefix` `%t` / `%m`, RDS's default log_timezone
 *   UTC) or as a timestamptz prints: `2026-03-14 13:44:59 UTC`, `2026-03-14 13:44:59.123 UTC`,
 *   `2026-03-14 13:44:59+00`, `2026-03-14 14:44:59.123+01`.
 * Time zone names other than UTC / GMT are refused: abbreviations are ambiguous (IST is India,
 * Israel or Ireland), and "13:44 in whose time zone" is exactly the question that must not be
 * guessed at 3 a.m.
 */

/** The accepted spellings, for help texts and messages. */
export const TIME_FORMATS = 'ISO 8601 with an offset (2026-03-14T13:44:59Z, 2026-03-14T14:44:59+01:00) '
  + 'or a PostgreSQL log time (2026-03-14 13:44:59 UTC, 2026-03-14 13:44:59.123 UTC, 2026-03-14 13:44:59+00)';

const TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)? ?(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$/i;
/** A date and time without a zone, or with a zone name: what the messages explain. */
const ZONELESS = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const NAMED_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)? ?([A-Za-z][A-Za-z_/+-]*)$/;

/**
 * Parses a time in one of TIME_FORMATS. Returns an error message (naming the accepted formats)
 * instead of a Date when the text is not such a time.
 */
export function parseTime(text: string): Date | string {
  const trimmed = text.trim();
  const match = TIME.exec(trimmed);
  if (!match) {
    let why = '';
    if (ZONELESS.test(trimmed)) why = ': it has no time zone (add Z or UTC for UTC, or an offset such as +01:00)';
    else {
      const zone = NAMED_ZONE.exec(trimmed)?.[3];
      if (zone) why = `: time zone '${zone}' is ambiguous or unknown (give UTC or an offset such as +01:00)`;
    }
    return `'${text}' is not a time with a time zone${why}; accepted: ${TIME_FORMATS}`;
  }
  const [, y, mo, d, h, mi, s = '00', frac = '', zone] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    return `'${text}' is not a valid date and time; accepted: ${TIME_FORMATS}`;
  }
  let offsetMinutes = 0;
  if (/^[+-]/.test(zone)) {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 14 || om > 59) return `'${text}' has an invalid UTC offset ${zone}; accepted: ${TIME_FORMATS}`;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000);
}
