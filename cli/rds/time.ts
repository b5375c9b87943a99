/** Times an operator types: ISO-8601 with an explicit offset, nothing a shell or locale could reinterpret. */

const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses `2026-03-14T13:44:59Z` or `2026-03-14T14:44:59+01:00` (also `+0100`, without seconds,
 * with fractions). Returns an error message instead of a Date when the text is not such a time:
 * a time without an offset is refused, because "13:44" in whose time zone is exactly the
 * question that must not be guessed at 3 a.m.
 */
export function parseIsoTime(text: string): Date | string {
  const example = 'e.g. 2026-03-14T13:44:59Z or 2026-03-14T14:44:59+01:00';
  const match = ISO_WITH_OFFSET.exec(text.trim());
  if (!match) {
    const hint = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text.trim()) ? ' (add Z for UTC or an offset such as +01:00)' : '';
    return `'${text}' is not an ISO-8601 time with an explicit offset${hint}: ${example}`;
  }
  const [, y, mo, d, h, mi, s = '00', frac = '', offset] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    return `'${text}' is not a valid date and time: ${example}`;
  }
  let offsetMinutes = 0;
  if (offset !== 'Z') {
    const sign = offset.startsWith('-') ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2));
    if (oh > 14 || om > 59) return `'${text}' has an invalid UTC offset ${offset}: ${example}`;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000);
}
