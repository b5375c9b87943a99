/**
 * The parameters the shipped template sets, applied to a REAL PostgreSQL server: every one must
 * be a parameter PostgreSQL knows, with a value it accepts, that means what the playbook intends.
 *
 * The parameter list comes from the synthesized template, never from the code under test.
 * RDS passes a parameter group's values to PostgreSQL as they are, in the parameter's base
 * unit; `rds.*` parameters exist only on RDS and are left out.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Client } from 'pg';
import { buildApp } from '../../bin/config';
import { TunedParameterGroup } from '../../lib';
import { shippedApp } from '../support/app';
import { checkSetting, cleanupChecker, PostgresServer, startPostgres } from '../support/postgres-server';

jest.setTimeout(60_000);

/** The Parameters of every AWS::RDS::DBParameterGroup of a stack, by logical ID. */
function allTemplateParameters(stack: Stack): Array<[string, Record<string, string>]> {
  const groups = Template.fromStack(stack).findResources('AWS::RDS::DBParameterGroup');
  return Object.entries(groups).map(([id, group]) => {
    const parameters = group.Properties?.Parameters as Record<string, unknown> | undefined;
    const result: Record<string, string> = {};
    for (const [name, value] of Object.entries(parameters ?? {})) {
      // A token or a number would reach RDS differently: the group must hold literal strings.
      if (typeof value !== 'string') throw new Error(`${id}.${name} is not a literal string: ${JSON.stringify(value)}`);
      result[name] = value;
    }
    return [id, result];
  });
}

/** The Parameters of the template's only AWS::RDS::DBParameterGroup. */
function templateParameters(stack: Stack): Record<string, string> {
  const groups = allTemplateParameters(stack);
  expect(groups).toHaveLength(1);
  return groups[0][1];
}

/** The parameters PostgreSQL itself sees: everything but the RDS-only `rds.*` ones. */
function serverSettings(parameters: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(parameters).filter(([name]) => !name.startsWith('rds.')));
}

/**
 * The parameters of a template holding `new TunedParameterGroup(stack, 'Bad', { parameters })`.
 * A ParameterGroup renders its AWS::RDS::DBParameterGroup only once an instance binds it,
 * so bind it as a DatabaseInstance does.
 */
function groupTemplate(parameters: Record<string, string>): Record<string, string> {
  const stack = new Stack(new App(), 'BadGroup');
  new TunedParameterGroup(stack, 'Bad', { parameters }).bindToInstance({});
  return templateParameters(stack);
}

// --- units -----------------------------------------------------------------------------------

const TIME_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_BYTES: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** A canonical quantity: milliseconds for times, bytes for sizes, the plain number otherwise. */
interface Quantity { readonly amount: number; readonly dimension: 'ms' | 'bytes' | 'none' }

/** What one `unit` of pg_settings (e.g. 'ms', 'min', '8kB', '16MB', or null) is worth. */
function unitQuantity(unit: string | null): Quantity {
  if (!unit) return { amount: 1, dimension: 'none' };
  if (unit in TIME_MS) return { amount: TIME_MS[unit], dimension: 'ms' };
  const size = /^(\d+)?(B|kB|MB|GB|TB)$/.exec(unit);
  if (size) return { amount: Number(size[1] ?? 1) * SIZE_BYTES[size[2]], dimension: 'bytes' };
  throw new Error(`unknown pg_settings unit '${unit}'`);
}

/** `value` (a number in units of `unit`) as a canonical quantity. */
function canonical(value: string, unit: string | null): Quantity {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`'${value}' is not a number`);
  const u = unitQuantity(unit);
  // -1 (and 0) usually mean "disabled": they are the same number in any unit.
  return { amount: n * u.amount, dimension: u.dimension };
}

/** A SHOW value in human units ('5s', '20GB', '1min', '0.05', '-1') as a canonical quantity. */
function parseShown(shown: string): Quantity {
  const m = /^(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(shown.trim());
  if (!m) throw new Error(`cannot read SHOW value '${shown}'`);
  return canonical(m[1], m[2] || null);
}

const ms = (amount: number): Quantity => ({ amount, dimension: 'ms' });
const seconds = (n: number) => ms(n * 1000);
const minutes = (n: number) => ms(n * 60_000);
const plain = (amount: number): Quantity => ({ amount, dimension: 'none' });

/** Why `actual` is not `expected` (undefined when they are the same quantity). */
function quantityMismatch(actual: Quantity, expected: Quantity, what: string): string | undefined {
  // Reals such as 0.05 or 1.1: compare with a relative tolerance (integers are exact anyway).
  const tolerance = Math.max(Math.abs(expected.amount), 1) * 1e-9;
  if (actual.dimension !== expected.dimension || Math.abs(actual.amount - expected.amount) > tolerance) {
    return `${what}: intended ${expected.amount} ${expected.dimension}, server has ${actual.amount} ${actual.dimension}`;
  }
  return undefined;
}

const libraryList = (value: string) => value.split(',').map((s) => s.trim()).filter((s) => s !== '');

// --- the shipped template on a real server ---------------------------------------------------

interface SettingRow {
  name: string;
  setting: string;
  unit: string | null;
  vartype: 'bool' | 'integer' | 'real' | 'string' | 'enum';
  source: string;
  shown: string;
}

/** Every parameter group of the shipped production stack: the primary's and the replicas'. */
const SHIPPED_GROUPS = allTemplateParameters(buildApp(shippedApp()));

test('the shipped stack has a primary and a replica parameter group', () => {
  expect(SHIPPED_GROUPS.length).toBe(2);
  expect(SHIPPED_GROUPS.filter(([, p]) => p.hot_standby_feedback !== undefined)).toHaveLength(1);
});

describe.each(SHIPPED_GROUPS)('parameter group %s on a real PostgreSQL server', (_logicalId, parameters) => {
  let sent: Record<string, string>;
  let server: PostgresServer | undefined;
  let client: Client | undefined;
  let rows: Map<string, SettingRow>;

  beforeAll(async () => {
    sent = serverSettings(parameters);
    server = await startPostgres({ settings: sent });
    client = await server.client();
    const result = await client.query<SettingRow>(
      `SELECT name, setting, unit, vartype, source, current_setting(name) AS shown
         FROM pg_settings WHERE name = ANY($1)`,
      [Object.keys(sent)],
    );
    rows = new Map(result.rows.map((row) => [row.name, row]));
  });

  afterAll(async () => {
    await client?.end();
    await server?.stop();
    cleanupChecker();
  });

  test('the template sets PostgreSQL parameters (besides the RDS-only ones)', () => {
    expect(Object.keys(sent).length).toBeGreaterThanOrEqual(10);
    expect(Object.keys(parameters).filter((n) => !(n in sent)).every((n) => n.startsWith('rds.'))).toBe(true);
  });

  test('the server knows every parameter the template sets, and took it from the command line', () => {
    // A misspelled or unknown name is missing here (or the server did not start at all).
    expect([...rows.keys()].sort()).toEqual(Object.keys(sent).sort());
    expect(rows.size).toBe(Object.keys(sent).length);
    for (const [name, row] of rows) {
      expect({ name, source: row.source }).toEqual({ name, source: 'command line' });
    }
  });

  test('every parameter has the value the template intends', () => {
    const mismatches: string[] = [];
    const check = (problem: string | undefined) => { if (problem) mismatches.push(problem); };
    for (const [name, value] of Object.entries(sent)) {
      const row = rows.get(name);
      if (!row) {
        mismatches.push(`${name}: not a parameter of the server`);
        continue;
      }
      switch (row.vartype) {
        case 'bool': {
          // RDS writes booleans as 1/0.
          const intended = ({ 1: 'on', 0: 'off', on: 'on', off: 'off', true: 'on', false: 'off' } as Record<string, string>)[value.toLowerCase()];
          if (row.setting !== intended) mismatches.push(`${name}: template '${value}' (${intended ?? 'not a boolean'}), server has '${row.setting}'`);
          break;
        }
        case 'integer':
        case 'real': {
          // The template's value is in the parameter's base unit, which is what pg_settings
          // reports `setting` in; SHOW formats it in the largest exact unit (e.g. '5s', '20GB').
          const intended = canonical(value, row.unit);
          check(quantityMismatch(canonical(row.setting, row.unit), intended, `${name} (pg_settings.setting ${row.setting} ${row.unit ?? ''})`));
          check(quantityMismatch(parseShown(row.shown), intended, `${name} (SHOW ${row.shown})`));
          break;
        }
        case 'string':
        case 'enum': {
          const same = name === 'shared_preload_libraries'
            ? libraryList(row.setting).join(',') === libraryList(value).join(',')
            : row.setting === value;
          if (!same) mismatches.push(`${name}: template '${value}', server has '${row.setting}'`);
          break;
        }
        default:
          mismatches.push(`${name}: unexpected vartype ${String(row.vartype)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  test('the values mean what the playbook says', () => {
    const quantity = (name: string): Quantity => {
      const row = rows.get(name);
      if (!row) throw new Error(`the template does not set ${name}`);
      return canonical(row.setting, row.unit);
    };
    const intents: Array<[string, Quantity]> = [
      // "Log any query running longer than 5 seconds."
      ['log_min_duration_statement', seconds(5)],
      // Autovacuum wakes up every 15 s, vacuums after 5 % and analyzes after 2 % of a table changed.
      ['autovacuum_naptime', seconds(15)],
      ['autovacuum_vacuum_scale_factor', plain(0.05)],
      ['autovacuum_analyze_scale_factor', plain(0.02)],
      // Sessions idle in a transaction for 5 minutes are ended.
      ['idle_in_transaction_session_timeout', minutes(5)],
      // Plans of the same slow (5 s) statements are logged.
      ['auto_explain.log_min_duration', seconds(5)],
    ];
    if ('hot_standby_feedback' in sent) {
      // A replica cancels a query that blocks WAL replay after 30 s rather than lag without bound.
      intents.push(['max_standby_streaming_delay', seconds(30)], ['max_standby_archive_delay', seconds(30)]);
      expect(rows.get('hot_standby_feedback')?.setting).toBe('off');
    }
    const mismatches = intents
      .map(([name, intended]) => quantityMismatch(quantity(name), intended, name))
      .filter((m): m is string => m !== undefined);
    expect(mismatches).toEqual([]);
  });

  test('pg_stat_statements and auto_explain are really loaded', async () => {
    const c = client!;
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await c.query('CREATE TEMP TABLE statements_probe (x int)');
    await c.query('SELECT x FROM statements_probe WHERE x = 42');
    const statements = await c.query<{ calls: string }>(
      "SELECT calls FROM pg_stat_statements WHERE query = 'SELECT x FROM statements_probe WHERE x = $1'");
    expect(statements.rows.length).toBeGreaterThanOrEqual(1);
    expect(Number(statements.rows[0].calls)).toBeGreaterThanOrEqual(1);

    const shown = await c.query<Record<string, string>>('SHOW auto_explain.log_min_duration');
    expect(shown.rows[0]['auto_explain.log_min_duration']).toBe('5s');
    const loaded = await c.query<{ count: string }>(
      "SELECT count(*) FROM pg_settings WHERE name LIKE 'auto_explain.%' AND vartype <> 'string'");
    // A placeholder (library not loaded) would be a string; loaded, auto_explain defines typed parameters.
    expect(Number(loaded.rows[0].count)).toBeGreaterThan(5);
  });
});

// --- the same checks refuse what PostgreSQL refuses ------------------------------------------

describe('the checks fail on values PostgreSQL refuses', () => {
  afterAll(() => cleanupChecker());

  test('rejects an out-of-range override synthesized into the template (checkSetting)', () => {
    const bad = serverSettings(groupTemplate({ autovacuum_vacuum_scale_factor: '250' }));
    expect(bad.autovacuum_vacuum_scale_factor).toBe('250');
    const refused = Object.entries(bad)
      .map(([name, value]) => ({ name, ...checkSetting(name, value) }))
      .filter((r) => !r.ok);
    expect(refused.map((r) => r.name)).toEqual(['autovacuum_vacuum_scale_factor']);
    expect(refused[0].output).toMatch(/250 is outside the valid range for parameter "autovacuum_vacuum_scale_factor" \(0 \.\. 100\)/);
  });

  test('fails when the server is started with the bad template, with PostgreSQL\'s message', async () => {
    const bad = serverSettings(groupTemplate({ autovacuum_vacuum_scale_factor: '250' }));
    await expect(startPostgres({ settings: bad })).rejects.toThrow(
      /250 is outside the valid range for parameter "autovacuum_vacuum_scale_factor" \(0 \.\. 100\)/);
  });

  test('rejects a misspelled parameter name', async () => {
    const check = checkSetting('autovacum_naptime', '15');
    expect(check.ok).toBe(false);
    expect(check.output).toMatch(/unrecognized configuration parameter "autovacum_naptime"/);

    // TunedParameterGroup takes the name (it is well-formed); only PostgreSQL can tell.
    const bad = serverSettings(groupTemplate({ autovacum_naptime: '15' }));
    expect(bad.autovacum_naptime).toBe('15');
    await expect(startPostgres({ settings: bad })).rejects.toThrow(/unrecognized configuration parameter "autovacum_naptime"/);
  });

  test('accepts the correctly spelled value (the checker is not refusing everything)', () => {
    const check = checkSetting('autovacuum_naptime', '15');
    expect(check).toEqual({ ok: true, output: '15' });
  });
});
