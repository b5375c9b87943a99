/**
 * RDS's log_line_prefix `%t:%r:%u@%d:[%p]:` read back (cli/logs/line.ts) in the forms PostgreSQL
 * fills it in (its log_line_prefix documentation): %r is `host(port)` for TCP, IPv6 addresses
 * with their colons, `[local]` over a Unix socket and empty for background processes; %u and %d
 * are empty there and `[unknown]` before authentication; %t is in log_timezone (UTC on RDS, an
 * offset elsewhere). The lines of a real server are read in logs.test.ts; these are the forms its
 * scenario does not produce (the test server listens on 127.0.0.1 only).
 */
import { parseLine } from '../../cli/logs/line';

test.each([
  ['IPv4 and port', '2026-03-14 13:44:59 UTC:10.0.1.5(53422):app@shop:[4242]:LOG:  statement: SELECT 1', { remote: '10.0.1.5(53422)', user: 'app', database: 'shop', pid: 4242, level: 'LOG', text: 'statement: SELECT 1' }],
  ['IPv6 and port', '2026-03-14 13:44:59 UTC:2001:db8::17(53422):app@shop:[4242]:ERROR:  division by zero', { remote: '2001:db8::17(53422)', user: 'app', database: 'shop', pid: 4242, level: 'ERROR' }],
  ['IPv6 loopback', '2026-03-14 13:44:59 UTC:::1(5432):app@shop:[7]:FATAL:  password authentication failed for user "app"', { remote: '::1(5432)', user: 'app', pid: 7, level: 'FATAL' }],
  ['a Unix socket', '2026-03-14 13:44:59 UTC:[local]:postgres@postgres:[99]:LOG:  duration: 5001.2 ms  statement: SELECT 1', { remote: '[local]', user: 'postgres', database: 'postgres', pid: 99 }],
  ['a background process', '2026-03-14 13:44:59 UTC::@:[3831]:LOG:  checkpoint starting: time', { remote: '', user: '', database: '', pid: 3831, text: 'checkpoint starting: time' }],
  ['before authentication', '2026-03-14 13:44:59 UTC:10.0.1.5(5000):[unknown]@[unknown]:[12]:LOG:  connection received: host=10.0.1.5 port=5000', { remote: '10.0.1.5(5000)', user: '[unknown]', database: '[unknown]', pid: 12 }],
  ['a host name', '2026-03-14 13:44:59 UTC:ip-10-0-1-5.ec2.internal(5000):app@shop:[12]:LOG:  x', { remote: 'ip-10-0-1-5.ec2.internal(5000)', user: 'app' }],
  ['a verbose SQLSTATE', '2026-03-14 13:44:59 UTC:10.0.1.5(5000):app@shop:[12]:ERROR:  23505: duplicate key value violates unique constraint "t_pkey"', { level: 'ERROR', text: '23505: duplicate key value violates unique constraint "t_pkey"' }],
])('reads %s', (_what, line, expected) => {
  expect(parseLine(line)).toMatchObject({ kind: 'prefixed', time: Date.UTC(2026, 2, 14, 13, 44, 59), raw: line, ...expected });
});

test('a numeric %t offset is honoured; a CloudWatch export stamp is taken off', () => {
  expect(parseLine('2026-03-14 14:44:59 +01:[local]:a@b:[1]:LOG:  x')).toMatchObject({ kind: 'prefixed', time: Date.UTC(2026, 2, 14, 13, 44, 59) });
  const line = '2026-03-14 13:44:59 UTC::@:[1]:LOG:  x';
  expect(parseLine(`2026-03-14T13:44:59.000Z ${line}`)).toMatchObject({ kind: 'prefixed', raw: line });
});

test('continuations and what is not a log line', () => {
  expect(parseLine('\tQuery Text: SELECT 1')).toEqual({ kind: 'continuation', text: 'Query Text: SELECT 1', raw: '\tQuery Text: SELECT 1' });
  for (const bad of [
    '2026-03-14 13:44:59 UTC:10.0.1.5(5',                          // cut inside the prefix
    '2026-03-14 13:44:59 UTC:10.0.1.5(5000):app@shop:[12]:',       // cut after it
    '2026-03-14 13:44:59 UTC:10.0.1.5(5000):app@shop:[12]:NOPE:  x', // no such level
    '2026-03-14 13:44:59 CET:10.0.1.5(5000):app@shop:[12]:LOG:  x',  // a zone name: which offset is not known
    '2026-13-14 13:44:59 UTC::@:[1]:LOG:  x',                       // no 13th month
    'random text',
  ]) expect({ bad, kind: parseLine(bad).kind }).toEqual({ bad, kind: 'malformed' });
});
