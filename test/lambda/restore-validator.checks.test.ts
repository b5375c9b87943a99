/**
 * The restore validator's checks (lambda/restore-validator/checks.ts) against a real PostgreSQL
 * server standing in for the restored instance.
 */
import * as net from 'net';
import type { ClientConfig } from 'pg';
import { MAX_MESSAGE_LENGTH, parseChecks, quoteTableName, runChecks, summarize } from '../../lambda/restore-validator/checks';
import { freePort, PostgresServer, startPostgres } from '../support/postgres-server';

let server: PostgresServer;

function connection(): ClientConfig {
  return { host: server.host, port: server.port, user: server.user, database: 'postgres' };
}

/** Rows of every table the tests look at, to show the checks changed nothing. */
async function snapshot(): Promise<Record<string, number>> {
  const client = await server.client();
  try {
    const counts: Record<string, number> = {};
    for (const table of ['public.orders', 'public.customers', 'shop.items', 'public.audit']) {
      counts[table] = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
    }
    return counts;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  server = await startPostgres();
  const client = await server.client();
  try {
    await client.query(`
      CREATE TABLE public.orders (id int PRIMARY KEY);
      INSERT INTO public.orders SELECT generate_series(1, 3);
      CREATE TABLE public.customers (id int PRIMARY KEY);
      INSERT INTO public.customers VALUES (1), (2);
      CREATE SCHEMA shop;
      CREATE TABLE shop.items (id int);
      -- A view that writes when read: only a read-only transaction stops it.
      CREATE TABLE public.audit (n int);
      CREATE FUNCTION public.write_audit() RETURNS int LANGUAGE sql VOLATILE AS $$ INSERT INTO public.audit VALUES (1) RETURNING n $$;
      CREATE VIEW public.sneaky AS SELECT public.write_audit() AS n;
      -- A view that ends the session reading it, as a restored instance that restarts would.
      CREATE VIEW public.hangup AS SELECT pg_terminate_backend(pg_backend_pid()) AS n;
      -- A view that takes longer than the tests' statement timeout.
      CREATE VIEW public.slow AS SELECT 1 AS n FROM pg_sleep(5);
    `);
  } finally {
    await client.end();
  }
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe('runChecks', () => {
  test('tables present with enough rows: SUCCESSFUL, every check listed', async () => {
    const result = await runChecks(connection(), parseChecks('{"tables":[{"name":"public.orders","minRows":3},{"name":"customers","minRows":1},{"name":"shop.items"}]}'));

    expect(result.status).toBe('SUCCESSFUL');
    expect(result.checks).toEqual([
      { name: 'connect', ok: true, detail: `connected to 127.0.0.1:${server.port}/postgres` },
      { name: 'select 1', ok: true, detail: 'SELECT 1 answered' },
      { name: 'public.orders', ok: true, detail: 'public.orders has 3 rows (at least 3 expected)' },
      { name: 'customers', ok: true, detail: 'customers has 2 rows (at least 1 expected)' },
      { name: 'shop.items', ok: true, detail: 'shop.items has 0 rows (at least 0 expected)' },
    ]);
    expect(result.message).toBe(`all 5 checks passed on 127.0.0.1:${server.port}/postgres: connect; select 1; `
      + 'public.orders has 3 rows (at least 3 expected); customers has 2 rows (at least 1 expected); shop.items has 0 rows (at least 0 expected)');
  });

  test('no table checks: connect and SELECT 1 only', async () => {
    const result = await runChecks(connection(), parseChecks(undefined));
    expect(result.status).toBe('SUCCESSFUL');
    expect(result.checks.map((c) => c.name)).toEqual(['connect', 'select 1']);
  });

  test('fails when a table is missing, naming it', async () => {
    const result = await runChecks(connection(), parseChecks('{"tables":[{"name":"public.invoices","minRows":1}]}'));
    expect(result.status).toBe('FAILED');
    expect(result.message).toBe('table public.invoices does not exist');
    expect(result.checks[2]).toEqual({ name: 'public.invoices', ok: false, detail: 'table public.invoices does not exist', code: '42P01' });
  });

  test('fails when the schema is missing', async () => {
    const result = await runChecks(connection(), parseChecks('{"tables":[{"name":"billing.orders"}]}'));
    expect(result.message).toBe('table billing.orders does not exist');
  });

  test('fails when a table has too few rows, with the counts', async () => {
    const result = await runChecks(connection(), parseChecks('{"tables":[{"name":"public.customers","minRows":5}]}'));
    expect(result.status).toBe('FAILED');
    expect(result.message).toBe('public.customers has 2 rows, expected at least 5');
  });

  test('a failed check does not stop the others; the message lists every failure', async () => {
    const result = await runChecks(connection(), parseChecks(JSON.stringify({
      tables: [{ name: 'public.missing' }, { name: 'public.orders', minRows: 1 }, { name: 'public.customers', minRows: 9 }],
    })));
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([
      ['connect', true], ['select 1', true], ['public.missing', false], ['public.orders', true], ['public.customers', false],
    ]);
    expect(result.message).toBe(`2 of 5 checks failed on 127.0.0.1:${server.port}/postgres: `
      + 'table public.missing does not exist; public.customers has 2 rows, expected at least 9');
  });

  test('fails quickly, without throwing, when nothing listens on the port', async () => {
    const port = await freePort();
    const started = Date.now();
    const result = await runChecks({ ...connection(), port }, parseChecks('{"tables":[{"name":"public.orders"}]}'), 5_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.status).toBe('FAILED');
    expect(result.message).toBe(`cannot connect to 127.0.0.1:${port}: ECONNREFUSED`);
    expect(result.checks).toEqual([{ name: 'connect', ok: false, detail: result.message, code: 'ECONNREFUSED' }]);
  });

  test('fails within the time limit when the host accepts but never answers', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => { sockets.push(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const started = Date.now();
      const result = await runChecks({ ...connection(), port }, parseChecks(undefined), 300);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(result.message).toBe(`cannot connect to 127.0.0.1:${port}: no connection within 300 ms`);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 10_000);

  test('fails when the database does not exist', async () => {
    const result = await runChecks({ ...connection(), database: 'restored_nothing' }, parseChecks(undefined));
    expect(result.status).toBe('FAILED');
    expect(result.message).toBe(`cannot connect to 127.0.0.1:${server.port}: database "restored_nothing" does not exist (3D000)`);
  });

  test('a statement over the time limit fails with "timed out", and the next check still runs', async () => {
    const started = Date.now();
    const result = await runChecks(connection(), parseChecks('{"tables":[{"name":"public.slow"},{"name":"public.orders"}]}'), 300);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.status).toBe('FAILED');
    expect(result.message).toBe('public.slow: timed out after 300 ms (statement_timeout)');
    expect(result.checks.find((c) => c.name === 'public.orders')).toMatchObject({ ok: true });
  });

  test('when the connection drops, the rest is reported as not checked, without throwing', async () => {
    const result = await runChecks(connection(), parseChecks('{"tables":[{"name":"public.orders"},{"name":"public.hangup"},{"name":"public.customers"}]}'));
    expect(result.status).toBe('FAILED');
    expect(result.checks.slice(2)).toEqual([
      expect.objectContaining({ name: 'public.orders', ok: true }),
      { name: 'public.hangup', ok: false, detail: 'public.hangup: terminating connection due to administrator command (57P01)', code: '57P01' },
      { name: 'public.customers', ok: false, detail: 'public.customers not checked: the session failed on an earlier check' },
    ]);
  });

  test('the checks run read-only: a view that writes is refused and nothing changes', async () => {
    // GIVEN the view writes when read outside a read-only transaction (the premise of this test)
    const client = await server.client();
    try {
      await client.query('BEGIN');
      await client.query('SELECT count(*) FROM public.sneaky');
      expect((await client.query<{ n: number }>('SELECT count(*)::int AS n FROM public.audit')).rows[0].n).toBe(1);
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }
    const before = await snapshot();

    // WHEN the validator counts it
    const result = await runChecks(connection(), parseChecks('{"tables":[{"name":"public.orders"},{"name":"public.sneaky"},{"name":"public.customers"}]}'));

    // THEN the write is refused, and no table changed
    expect(result.status).toBe('FAILED');
    expect(result.message).toBe('public.sneaky: cannot execute INSERT in a read-only transaction (25006)');
    expect(await snapshot()).toEqual(before);
    expect(before['public.audit']).toBe(0);
  });

  test('a table name is quoted, never read as SQL', () => {
    expect(quoteTableName('public.orders')).toBe('"public"."orders"');
    expect(quoteTableName('Orders')).toBe('"Orders"');
  });
});

describe('summarize', () => {
  test('keeps the message within 1000 characters, saying how many failures were left out', () => {
    const checks = Array.from({ length: 60 }, (_, i) => ({
      name: `public.table_${i}`, ok: false, detail: `table public.table_with_a_rather_long_name_number_${i} does not exist`,
    }));
    const message = summarize(checks, '127.0.0.1:5432/postgres');
    expect(message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(message).toMatch(/^60 of 60 checks failed on 127\.0\.0\.1:5432\/postgres: table public\.table_with_a_rather_long_name_number_0 does not exist; /);
    expect(message).toMatch(/ \(\+\d+ more\)$/);
  });

  test('ends with how many failures did not fit, never cutting one in the middle', () => {
    const checks = ['aaaa', 'bbbb', 'cccc'].map((detail) => ({ name: detail, ok: false, detail }));
    expect(summarize(checks, 't', 43)).toBe('3 of 3 checks failed on t: aaaa; bbbb; cccc');
    expect(summarize(checks, 't', 42)).toBe('3 of 3 checks failed on t: aaaa (+2 more)');
  });

  test('cuts one over-long detail', () => {
    const message = summarize([{ name: 'x', ok: false, detail: 'y'.repeat(5000) }], 'h:1/d');
    expect(message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(message.endsWith('…')).toBe(true);
  });
});

describe('parseChecks', () => {
  test('unset or blank means no table checks', () => {
    expect(parseChecks(undefined)).toEqual({ tables: [] });
    expect(parseChecks('  ')).toEqual({ tables: [] });
    expect(parseChecks('{}')).toEqual({ tables: [] });
  });

  test('reads tables; minRows defaults to 0', () => {
    expect(parseChecks('{"tables":[{"name":"public.orders","minRows":1},{"name":"audit_log"}]}')).toEqual({
      tables: [{ name: 'public.orders', minRows: 1 }, { name: 'audit_log', minRows: 0 }],
    });
  });

  test.each([
    ['{"tables":', /^CHECKS is not valid JSON \(.+\); expected e\.g\. \{"tables"/],
    ['[]', /^CHECKS must be a JSON object like .* \(got an array\)$/],
    ['"public.orders"', /^CHECKS must be a JSON object .* \(got string "public\.orders"\)$/],
    ['{"tabels":[]}', /^CHECKS has an unknown key 'tabels' \(allowed: tables\)$/],
    ['{"tables":{"name":"x"}}', /^CHECKS\.tables must be an array \(got an object\)$/],
    ['{"tables":["public.orders"]}', /^CHECKS\.tables\[0\] must be an object/],
    ['{"tables":[{"name":"x","min_rows":1}]}', /^CHECKS\.tables\[0\] has an unknown key 'min_rows' \(allowed: name, minRows\)$/],
    ['{"tables":[{"minRows":1}]}', /^CHECKS\.tables\[0\]\.name must be 'schema\.table' or 'table'.*\(got undefined\)$/],
    ['{"tables":[{"name":"public.orders; DROP TABLE public.orders"}]}', /^CHECKS\.tables\[0\]\.name must be/],
    ['{"tables":[{"name":"a.b.c"}]}', /^CHECKS\.tables\[0\]\.name must be/],
    ['{"tables":[{"name":"public.\\"orders\\""}]}', /^CHECKS\.tables\[0\]\.name must be/],
    ['{"tables":[{"name":"1orders"}]}', /^CHECKS\.tables\[0\]\.name must be/],
    [`{"tables":[{"name":"${'a'.repeat(64)}"}]}`, /^CHECKS\.tables\[0\]\.name must be/],
    ['{"tables":[{"name":"x"},{"name":"y","minRows":-1}]}', /^CHECKS\.tables\[1\]\.minRows must be an integer >= 0 \(got number -1\)$/],
    ['{"tables":[{"name":"x","minRows":1.5}]}', /^CHECKS\.tables\[0\]\.minRows must be an integer >= 0 \(got number 1\.5\)$/],
    ['{"tables":[{"name":"x","minRows":"5"}]}', /^CHECKS\.tables\[0\]\.minRows must be an integer >= 0 \(got string "5"\)$/],
    ['{"tables":[{"name":"x"},{"name":"x"}]}', /^CHECKS\.tables\[1\]\.name 'x' is listed twice$/],
  ])('fails when CHECKS is %s', (json, message) => {
    expect(() => parseChecks(json)).toThrow(message);
  });
});
