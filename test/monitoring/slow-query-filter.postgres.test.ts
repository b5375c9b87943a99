/**
 * The slow-statement metric filter, tried on REAL PostgreSQL log lines: a server configured like
 * the tuned parameter group (log_min_duration_statement 5 s, auto_explain, RDS's log_line_prefix)
 * runs two slow statements (simple and extended protocol) and fast ones; the filter pattern must
 * count exactly the slow statements, not auto_explain's plan lines.
 */
import * as fs from 'fs';
import { PlatformAlarms, TunedParameterGroup } from '../../lib';
import { PostgresServer, startPostgres } from '../support/postgres-server';

jest.setTimeout(60_000);

/**
 * CloudWatch Logs' matching of an unstructured-log filter pattern made of quoted terms: every
 * "term" must occur in the line (case-sensitive), no -"term" may.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 */
function matches(pattern: string, line: string): boolean {
  const terms = [...pattern.matchAll(/(-?)"([^"]*)"/g)];
  const rest = pattern.replace(/-?"[^"]*"/g, '').trim();
  if (rest !== '') throw new Error(`pattern has more than quoted terms: '${rest}'`);
  return terms.every(([, not, term]) => (not === '-') !== line.includes(term));
}

describe('slow statement filter on real PostgreSQL logs', () => {
  let server: PostgresServer;
  let lines: string[];

  beforeAll(async () => {
    const playbook = TunedParameterGroup.playbookDefaults();
    server = await startPostgres({
      settings: {
        log_min_duration_statement: playbook.log_min_duration_statement,
        shared_preload_libraries: playbook.shared_preload_libraries,
        'auto_explain.log_min_duration': playbook['auto_explain.log_min_duration'],
        // RDS for PostgreSQL's fixed prefix.
        log_line_prefix: '%t:%r:%u@%d:[%p]:',
        log_destination: 'stderr',
      },
    });
    const [a, b] = [await server.client(), await server.client()];
    await a.query('SELECT 1');
    await Promise.all([
      a.query('SELECT pg_sleep(6)'),
      b.query('SELECT pg_sleep($1::float)', [5.5]), // extended protocol: logged as "execute <unnamed>:"
    ]);
    await a.query('SELECT count(*) FROM pg_class');
    await a.end();
    await b.end();
    await new Promise((r) => setTimeout(r, 300));
    lines = fs.readFileSync(server.logFile, 'utf8').split('\n');
  });
  afterAll(async () => server?.stop());

  test('the log has the slow statements and auto_explain plans for them', () => {
    expect(lines.filter((l) => /duration: \d+\.\d+ ms {2}statement: SELECT pg_sleep\(6\)/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /duration: \d+\.\d+ ms {2}execute [^:]*: SELECT pg_sleep/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /duration: \d+\.\d+ ms {2}plan:/.test(l)).length).toBeGreaterThanOrEqual(2);
  });

  test('the filter counts exactly the two slow statements', () => {
    const counted = lines.filter((l) => matches(PlatformAlarms.SLOW_STATEMENT_PATTERN, l));
    expect(counted).toHaveLength(2);
    expect(counted.every((l) => /pg_sleep/.test(l) && !/plan:/.test(l))).toBe(true);
  });

  test('the matcher itself can fail: a pattern without the exclusion counts the plan lines too', () => {
    expect(lines.filter((l) => matches('"duration:" "ms"', l)).length).toBeGreaterThanOrEqual(4);
  });
});
