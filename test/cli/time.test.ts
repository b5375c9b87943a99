/**
 * The times `restore --to` accepts: ISO 8601 with an offset, and PostgreSQL's own spelling as a
 * log line starts (`2026-12-01 06:14:26 UTC`, what an operator copies from the exported log) or
 * as a timestamptz prints (`2026-12-01 06:14:26+00`). Expected instants are written out by hand.
 */
import { parseTime } from '../../cli/rds/time';

describe('parseTime', () => {
  test.each([
    ['a PostgreSQL log time (log_line_prefix %t)', '2026-12-01 06:14:26 UTC', Date.UTC(2026, 11, 1, 6, 14, 26)],
    ['a PostgreSQL log time with milliseconds (%m)', '2026-12-01 06:14:26.123 UTC', Date.UTC(2026, 11, 1, 6, 14, 26, 123)],
    ['GMT, and a lower-case zone', '2026-12-01 06:14:26 gmt', Date.UTC(2026, 11, 1, 6, 14, 26)],
    ['a timestamptz as PostgreSQL prints it in UTC', '2026-12-01 06:14:26+00', Date.UTC(2026, 11, 1, 6, 14, 26)],
    ['a timestamptz with an hour offset', '2026-12-01 07:14:26.5+01', Date.UTC(2026, 11, 1, 6, 14, 26, 500)],
    ['a timestamptz with a half-hour offset', '2026-12-01 11:44:26+05:30', Date.UTC(2026, 11, 1, 6, 14, 26)],
    ['a negative offset after a space', '2026-11-30 22:14:26 -0800', Date.UTC(2026, 11, 1, 6, 14, 26)],
    ['ISO 8601 in UTC', '2026-03-14T13:44:59Z', Date.UTC(2026, 2, 14, 13, 44, 59)],
    ['ISO 8601 with an offset', '2026-03-14T14:44:59+01:00', Date.UTC(2026, 2, 14, 13, 44, 59)],
    ['ISO 8601 with a compact offset, without seconds', '2026-03-14T14:44+0100', Date.UTC(2026, 2, 14, 13, 44)],
    ['surrounding blanks', '  2026-12-01 06:14:26 UTC\n', Date.UTC(2026, 11, 1, 6, 14, 26)],
  ])('accepts %s: %j', (_name, text, expected) => {
    expect(parseTime(text)).toEqual(new Date(expected));
  });

  test.each([
    ['no time zone', '2026-12-01 06:14:26', /it has no time zone \(add Z or UTC for UTC, or an offset such as \+01:00\)/],
    ['a zone abbreviation', '2026-12-01 06:14:26 CET', /time zone 'CET' is ambiguous or unknown \(give UTC or an offset such as \+01:00\)/],
    ['a date that does not exist', '2026-02-30 10:00:00 UTC', /'2026-02-30 10:00:00 UTC' is not a valid date and time/],
    ['an offset beyond 14 hours', '2026-12-01 06:14:26+15', /has an invalid UTC offset \+15/],
    ['words', 'yesterday 13:44', /'yesterday 13:44' is not a time with a time zone;/],
  ])('fails on %s, naming the accepted formats', (_name, text, reason) => {
    const result = parseTime(text);
    expect(typeof result).toBe('string');
    expect(result).toMatch(reason);
    expect(result).toContain('accepted: ISO 8601 with an offset (2026-03-14T13:44:59Z, 2026-03-14T14:44:59+01:00) or a PostgreSQL log time (2026-03-14 13:44:59 UTC, 2026-03-14 13:44:59.123 UTC, 2026-03-14 13:44:59+00)');
  });
});
