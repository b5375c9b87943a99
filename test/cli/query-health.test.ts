/**
 * cli/query-health.ts: the query-health rules as pure functions, on statistics rows written
 * here (shaped as shared/pg-health.ts returns them). The same rules run against a real
 * PostgreSQL in test/cli/inspect.test.ts. Statements are parsed by libpg-query (PostgreSQL 17's
 * grammar as WASM), loaded once before the tests.
 */
import { UsageError } from '../../cli/errors';
import {
  analyze,
  covers,
  DEFAULT_THRESHOLDS,
  failedRules,
  HealthInput,
  missingIndexes,
  nPlusOneSuspects,
  parseFailOn,
  parseStatement,
  readableStatement,
  redactLiterals,
  redundantIndexes,
  RULE_IDS,
  advisedSettings,
  autovacuumAdvice,
  bloatEstimates,
  expectedPages,
  fold,
  foldedLine,
  invalidIndexes,
  loadParser,
  parserUnavailable,
  singleKeyLookup,
  suggestIndex,
  RelationSpace,
  TableVacuumStats,
  topStatements,
  tryParse,
  unparsableStatements,
  unusedIndexes,
} from '../../cli/query-health';
import type { Finding } from '../../cli/query-health';

beforeAll(async () => {
  await loadParser();
  expect(parserUnavailable()).toBeUndefined();
});
import type { IndexUsage, SessionInfo, StatementStats, TableActivity } from '../../shared/pg-health';

// --- builders ---------------------------------------------------------------------------------

let nextQueryId = 1;

function statement(query: string, overrides: Partial<StatementStats> = {}): StatementStats {
  return { queryId: String(nextQueryId++), query, calls: 1, totalMs: 1, meanMs: 1, rows: 1, sharedBlocksHit: 0, sharedBlocksRead: 0, ...overrides };
}

function lookup(query: string, overrides: Partial<StatementStats> = {}): StatementStats {
  return statement(query, { calls: 600, meanMs: 0.05, totalMs: 30, rows: 600, ...overrides });
}

function tableOf(name: string, overrides: Partial<TableActivity> = {}): TableActivity {
  const [schema, table] = name.split('.');
  return {
    schema, table, name, seqScans: 50, seqTuplesRead: 5_000_000, indexScans: 0, indexTuplesFetched: 0, liveTuples: 100_000, deadTuples: 0,
    tableBytes: 8_000_000, indexBytes: 2_000_000, lastVacuum: null, lastAutovacuum: null, lastAnalyze: null, lastAutoanalyze: null, ...overrides,
  };
}

function index(name: string, keyColumns: string[], overrides: Partial<IndexUsage> = {}): IndexUsage {
  const n = keyColumns.length;
  return {
    schema: 'public', table: 'orders', index: name, scans: 10, bytes: 1_000_000, method: 'btree', unique: false, primary: false, valid: true,
    replicaIdentity: false, constraintType: null, constraintName: null, keyColumns, includeColumns: [],
    opclasses: Array(n).fill('3124').join(' '), collations: Array(n).fill('0').join(' '), options: Array(n).fill('0').join(' '),
    predicate: null, definition: `CREATE INDEX ${name} ON public.orders USING btree (${keyColumns.join(', ')})`, ...overrides,
  };
}

function session(pid: number, overrides: Partial<SessionInfo> = {}): SessionInfo {
  return {
    pid, database: 'app', user: 'app', applicationName: 'web', clientAddress: '10.0.0.5/32', state: 'active', waitEventType: null, waitEvent: null,
    querySeconds: 7.5, transactionSeconds: 7.5, stateSeconds: 7.5, query: 'SELECT pg_sleep(10)', ...overrides,
  };
}

function input(overrides: Partial<HealthInput> = {}): HealthInput {
  return {
    database: 'app', tables: [], indexes: [], statements: [],
    pgStatStatements: { preloaded: true, track: 'top', schema: 'public', version: '1.10' },
    cacheHit: { heapRead: 10, heapHit: 99_990, ratio: 0.9999 }, deadTuples: [], longRunning: [], idleInTransaction: [],
    ...overrides,
  };
}

// --- --fail-on --------------------------------------------------------------------------------

describe('parseFailOn', () => {
  test('reads comma-separated rule ids, once each', () => {
    expect(parseFailOn('missing-index, n-plus-one,missing-index')).toEqual(['missing-index', 'n-plus-one']);
    expect(parseFailOn(undefined)).toEqual([]);
  });

  test('all is every rule', () => {
    expect(parseFailOn('all')).toEqual(RULE_IDS);
  });

  test('fails when a rule is unknown, naming it and the rules', () => {
    expect(() => parseFailOn('missing-index,seq-scan')).toThrow(UsageError);
    expect(() => parseFailOn('missing-index,seq-scan')).toThrow(/unknown rule 'seq-scan'; the rules are missing-index, unused-index/);
    expect(() => parseFailOn(' , ')).toThrow(/needs at least one rule id/);
  });

  test('failedRules: the listed rules that have findings', () => {
    const findings = [{ rule: 'unused-index' as const, target: 'x', message: '', fix: '' }];
    expect(failedRules(findings, ['unused-index', 'missing-index'])).toEqual(['unused-index']);
    expect(failedRules(findings, ['duplicate-index'])).toEqual([]);
  });
});

// --- reading statements -----------------------------------------------------------------------

describe('parseStatement', () => {
  test('reads tables with their schema and alias, and the conditions of the WHERE', () => {
    const p = parseStatement('SELECT o.id FROM public.orders AS o JOIN customers c ON c.id = o.customer_id WHERE o.status = $1 AND o.created_at >= $2 AND o.deleted_at IS NULL')!;
    expect(p.relations).toEqual([{ schema: 'public', name: 'orders', alias: 'o' }, { schema: null, name: 'customers', alias: 'c' }]);
    expect(p.joins).toBe(true);
    expect(p.where).toEqual([
      { qualifier: 'o', column: 'status', operator: 'eq', value: 'param' },
      { qualifier: 'o', column: 'created_at', operator: 'range', value: 'param' },
      { qualifier: 'o', column: 'deleted_at', operator: 'is-null', value: 'none' },
    ]);
  });

  test('keeps BETWEEN ... AND ... as one condition and does not take extract(... FROM ...) for a table', () => {
    const p = parseStatement('SELECT extract(epoch FROM now()) FROM events WHERE at BETWEEN $1 AND $2 AND kind = $3')!;
    expect(p.relations.map((r) => r.name)).toEqual(['events']);
    expect(p.where!.map((c) => `${c.column} ${c.operator}`)).toEqual(['at range', 'kind eq']);
  });

  test('sees subqueries, set operations, batching and expressions', () => {
    expect(parseStatement('SELECT * FROM a WHERE id IN (SELECT a_id FROM b WHERE x = $1)')!).toMatchObject({ subqueries: true, batched: true });
    expect(parseStatement('SELECT id FROM a UNION SELECT id FROM b')!.setOperation).toBe(true);
    expect(parseStatement('SELECT * FROM users WHERE lower(email) = $1')!.where).toEqual([{ qualifier: null, column: null, operator: 'eq', value: 'other' }]);
    expect(parseStatement('SELECT * FROM users WHERE a = $1 OR b = $2')!.where).toEqual([{ qualifier: null, column: null, operator: 'other', value: 'other' }]);
    expect(parseStatement('SELECT * FROM a, b WHERE a.x = b.y')!).toMatchObject({ joins: true, where: [{ qualifier: 'a', column: 'x', operator: 'eq', value: 'column' }] });
  });

  test('reads UPDATE, DELETE and INSERT targets', () => {
    expect(parseStatement('UPDATE orders SET total = $1 WHERE id = $2')!.relations.map((r) => r.name)).toEqual(['orders']);
    expect(parseStatement('DELETE FROM sessions WHERE expires_at < $1')!).toMatchObject({ kind: 'delete', relations: [{ name: 'sessions' }] });
    expect(parseStatement('INSERT INTO events (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET id = $2')!.relations.map((r) => r.name)).toEqual(['events']);
  });

  test('reads what the old tokenizer could not: CTEs (their names are no tables), UPDATE … FROM, INSERT … SELECT, conditions written backwards', () => {
    const cte = parseStatement('WITH recent AS (SELECT * FROM orders WHERE placed_at > $1) SELECT r.id FROM recent r JOIN customers c ON c.id = r.customer_id WHERE c.country = $2')!;
    expect(cte.relations.map((r) => r.name)).toEqual(['orders', 'customers']);
    expect(cte).toMatchObject({ kind: 'select', subqueries: true, joins: true });
    expect(cte.allConditions.map((c) => `${c.column} ${c.operator}`)).toEqual(['placed_at range', 'country eq']);
    const upd = parseStatement('UPDATE orders o SET total = s.total FROM staging s WHERE o.id = s.id AND s.batch = $1')!;
    expect(upd).toMatchObject({ kind: 'update', joins: true, relations: [{ name: 'orders', alias: 'o' }, { name: 'staging', alias: 's' }] });
    expect(parseStatement('INSERT INTO archive SELECT * FROM orders WHERE placed_at < $1 ON CONFLICT DO NOTHING')!.relations.map((r) => r.name)).toEqual(['archive', 'orders']);
    expect(parseStatement('SELECT * FROM orders WHERE $1 = customer_ref AND $2 < placed_at')!.where)
      .toEqual([{ qualifier: null, column: 'customer_ref', operator: 'eq', value: 'param' }, { qualifier: null, column: 'placed_at', operator: 'range', value: 'param' }]);
  });

  test('a statement the grammar refuses is null with the parser\'s message, and counted by unparsableStatements', () => {
    expect(parseStatement('SELEC id FROM orders')).toBeNull();
    expect(tryParse('SELECT id FROM orders WHERE (')).toMatchObject({ ok: false, error: expect.stringMatching(/syntax error/) });
    const stmts = [statement('SELECT 1'), statement('SELEC 1'), statement('SELECT * FROM t WHERE x = ')];
    expect(unparsableStatements(stmts)).toEqual({ count: 2, examples: [
      { queryId: stmts[1].queryId, error: expect.stringMatching(/syntax error at or near "SELEC"/) },
      { queryId: stmts[2].queryId, error: expect.stringMatching(/syntax error at end of input/) },
    ] });
    // The rules leave it out rather than fail.
    expect(() => analyze(input({ tables: [tableOf('public.t')], statements: stmts }))).not.toThrow();
  });
});

// --- N+1 --------------------------------------------------------------------------------------

describe('N+1 suspects', () => {
  test('a single-key lookup called often with a tiny mean is one', () => {
    const suspects = nPlusOneSuspects([lookup('SELECT id, name FROM customers WHERE id = $1')]);
    expect(suspects).toEqual([expect.objectContaining({ table: 'customers', column: 'id', calls: 600 })]);
  });

  test('ORM-style lookups are: quoted and qualified names, LIMIT, a soft-delete condition, a cast parameter', () => {
    const queries = [
      'SELECT "users".* FROM "users" WHERE "users"."id" = $1 LIMIT $2',
      'SELECT * FROM comments WHERE post_id = $1 AND deleted_at IS NULL ORDER BY created_at',
      'SELECT t0.id FROM public.line_items t0 WHERE t0.order_id = $1::bigint',
    ];
    // Equal calls: ordered by queryid, which depends on the fixtures built before; the order is not the point here.
    expect(nPlusOneSuspects(queries.map((q) => lookup(q))).map((s) => `${s.table}.${s.column}`).sort()).toEqual(['comments.post_id', 'public.line_items.order_id', 'users.id']);
  });

  test.each([
    ['batched with = ANY', 'SELECT id, name FROM customers WHERE id = ANY($1)'],
    ['batched with IN', 'SELECT id, name FROM customers WHERE id IN ($1, $2, $3)'],
    ['a join', 'SELECT c.id FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = $1'],
    ['two keys', 'SELECT * FROM memberships WHERE tenant_id = $1 AND user_id = $2'],
    ['a range', 'SELECT * FROM events WHERE at > $1'],
    ['a subquery', 'SELECT * FROM customers WHERE id = $1 AND EXISTS (SELECT 1 FROM orders WHERE customer_id = $2)'],
    ['an UPDATE', 'UPDATE customers SET seen = now() WHERE id = $1'],
    ['a system catalog', 'SELECT * FROM pg_stat_activity WHERE pid = $1'],
    ['no WHERE', 'SELECT count(*) FROM customers'],
  ])('%s is not one', (_what, query) => {
    expect(singleKeyLookup(parseStatement(query)!)).toBeUndefined();
    expect(nPlusOneSuspects([lookup(query)])).toEqual([]);
  });

  test('needs at least n1MinCalls calls and a mean below n1MaxMeanMs', () => {
    const q = 'SELECT * FROM customers WHERE id = $1';
    expect(nPlusOneSuspects([lookup(q, { calls: 499 })])).toEqual([]);
    expect(nPlusOneSuspects([lookup(q, { calls: 500 })])).toHaveLength(1);
    expect(nPlusOneSuspects([lookup(q, { meanMs: 1 })])).toEqual([]);
    expect(nPlusOneSuspects([lookup(q, { calls: 50, meanMs: 5 })], { n1MinCalls: 50, n1MaxMeanMs: 10 })).toHaveLength(1);
  });

  test('ranks by calls, most first', () => {
    const suspects = nPlusOneSuspects([
      lookup('SELECT * FROM a WHERE id = $1', { calls: 700 }),
      lookup('SELECT * FROM b WHERE id = $1', { calls: 90_000 }),
      lookup('SELECT * FROM c WHERE id = $1', { calls: 5_000 }),
    ]);
    expect(suspects.map((s) => s.table)).toEqual(['b', 'c', 'a']);
  });

  test('with the user tables given, only lookups of those tables count', () => {
    const stmts = [lookup('SELECT * FROM customers WHERE id = $1'), lookup('SELECT * FROM some_view WHERE id = $1')];
    expect(nPlusOneSuspects(stmts, DEFAULT_THRESHOLDS, [tableOf('public.customers')]).map((s) => s.table)).toEqual(['customers']);
  });
});

// --- missing indexes --------------------------------------------------------------------------

describe('the CREATE INDEX suggestion', () => {
  const orders = { schema: 'public', table: 'orders' };

  test('indexes the equality columns first, then one range column: a composite index', () => {
    const s = suggestIndex(orders, statement('SELECT * FROM orders WHERE created_at > $1 AND status = $2 AND customer_id = $3'));
    expect(s).toMatchObject({ columns: ['status', 'customer_id', 'created_at'], predicate: null, coveredBy: null });
    expect(s!.sql).toBe('CREATE INDEX CONCURRENTLY orders_status_customer_id_created_at_idx ON public.orders (status, customer_id, created_at);');
  });

  test('turns IS NULL conditions into a partial index', () => {
    const s = suggestIndex(orders, statement('SELECT * FROM orders WHERE customer_id = $1 AND deleted_at IS NULL'));
    expect(s!.sql).toBe('CREATE INDEX CONCURRENTLY orders_customer_id_idx ON public.orders (customer_id) WHERE deleted_at IS NULL;');
  });

  test('quotes the identifiers that need it', () => {
    const s = suggestIndex({ schema: 'Sales', table: 'order' }, statement('SELECT * FROM "Sales"."order" WHERE "customerId" = $1'));
    expect(s!.sql).toBe('CREATE INDEX CONCURRENTLY "order_customerId_idx" ON "Sales"."order" ("customerId");');
  });

  test('takes only the columns of the table: by alias, or by its column list when unqualified', () => {
    const q = statement('SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.country = $1 AND o.status = $2 AND placed_at > $3');
    expect(suggestIndex(orders, q, { columns: ['id', 'status', 'placed_at'] })!.columns).toEqual(['status', 'placed_at']);
    expect(suggestIndex({ schema: 'public', table: 'customers' }, q, { columns: ['id', 'country'] })!.columns).toEqual(['country']);
  });

  test('names an existing index that already starts with those columns', () => {
    const s = suggestIndex(orders, statement('SELECT * FROM orders WHERE status = $1'), { indexes: [index('orders_status_placed_idx', ['status', 'placed_at'])] });
    expect(s!.coveredBy).toBe('public.orders_status_placed_idx');
    const other = suggestIndex(orders, statement('SELECT * FROM orders WHERE status = $1'), { indexes: [index('orders_placed_status_idx', ['placed_at', 'status'])] });
    expect(other!.coveredBy).toBeNull();
  });

  test('suggests nothing when no condition is on a column of the table', () => {
    expect(suggestIndex(orders, statement('SELECT * FROM orders WHERE lower(note) = $1'))).toBeUndefined();
    expect(suggestIndex(orders, statement('SELECT * FROM orders'))).toBeUndefined();
  });
});

describe('missingIndexes', () => {
  const filter = statement('SELECT id FROM orders WHERE customer_ref = $1', { totalMs: 900, calls: 90 });
  const other = statement('SELECT count(*) FROM orders', { totalMs: 50 });
  const elsewhere = statement('SELECT * FROM archive.orders WHERE id = $1', { totalMs: 5000 });

  test('flags a large table read mostly by sequential scans, with the statements reading it and the index', () => {
    const [m] = missingIndexes([tableOf('public.orders', { seqScans: 90, indexScans: 12 })], [other, filter, elsewhere]);
    expect(m).toMatchObject({ table: 'public.orders', seqScans: 90, indexScans: 12 });
    expect(m.statements.map((s) => [s.query, s.whereColumns])).toEqual([[filter.query, ['customer_ref']], [other.query, []]]);
    expect(m.suggestion!.sql).toBe('CREATE INDEX CONCURRENTLY orders_customer_ref_idx ON public.orders (customer_ref);');
  });

  test('does not flag a small table, a table whose indexes serve at least 95 % of its scans, or one seldom scanned', () => {
    const tables = [
      tableOf('public.small', { liveTuples: 9_999 }),
      tableOf('public.indexed', { seqScans: 20, indexScans: 380 }),
      tableOf('public.seldom', { seqScans: 9, indexScans: 0 }),
    ];
    expect(missingIndexes(tables, [])).toEqual([]);
    expect(missingIndexes([tableOf('public.small', { liveTuples: 9_999 })], [], { minRows: 5_000 })).toHaveLength(1);
  });

  test('pghero\'s rule: a 50,000-row table read 200 times by its primary key and 20 times sequentially (indexes serve 90.9 % of its scans) is flagged', () => {
    // The old rule (seq_scan > idx_scan) let this one through: a million rows read to return twenty.
    const t = tableOf('public.accounts', { liveTuples: 50_000, seqScans: 20, indexScans: 200, seqTuplesRead: 1_000_000 });
    const scan = statement('SELECT * FROM accounts WHERE email = $1', { calls: 20, totalMs: 400 });
    const byKey = statement('SELECT * FROM accounts WHERE id = $1', { calls: 200, totalMs: 2 });
    const [m] = missingIndexes([t], [byKey, scan], { indexes: [index('accounts_pkey', ['id'], { table: 'accounts', primary: true, unique: true })] });
    expect(m).toMatchObject({ table: 'public.accounts', indexScanShare: 200 / 220, unindexedStatementMs: 400 });
    expect(m.suggestion!.sql).toBe('CREATE INDEX CONCURRENTLY accounts_email_idx ON public.accounts (email);');
    // The statement no index serves comes first, though the primary-key lookups are called ten times as often.
    expect(m.statements.map((s) => [s.query, s.unindexed])).toEqual([[scan.query, true], [byKey.query, false]]);
    expect(missingIndexes([{ ...t, indexScans: 4_000 }], [])).toEqual([]);
  });

  test('ranks by rows read sequentially, then by the time of the statements no index serves', () => {
    const tables = [
      tableOf('public.a', { seqTuplesRead: 1_000_000 }),
      tableOf('public.b', { seqTuplesRead: 9_000_000 }),
      tableOf('public.c', { seqTuplesRead: 1_000_000 }),
    ];
    const stmts = [statement('SELECT * FROM c WHERE x = $1', { totalMs: 5_000 }), statement('SELECT * FROM a WHERE x = $1', { totalMs: 10 })];
    expect(missingIndexes(tables, stmts).map((m) => m.table)).toEqual(['public.b', 'public.c', 'public.a']);
  });

  test('without statement statistics still flags the table, with no suggestion', () => {
    expect(missingIndexes([tableOf('public.orders')], [])).toEqual([expect.objectContaining({ table: 'public.orders', statements: [], suggestion: null })]);
  });
});

// --- unused and redundant indexes -------------------------------------------------------------

describe('unusedIndexes', () => {
  test('flags indexes never scanned that enforce nothing, largest first', () => {
    const indexes = [
      index('small_idx', ['a'], { scans: 0, bytes: 10 }),
      index('big_idx', ['b'], { scans: 0, bytes: 1000 }),
      index('used_idx', ['c'], { scans: 1 }),
      index('orders_pkey', ['id'], { scans: 0, primary: true, unique: true, constraintType: 'p' }),
      index('orders_email_key', ['email'], { scans: 0, unique: true, constraintType: 'u' }),
      index('orders_lower_email', ['lower(email)'], { scans: 0, unique: true }),
      index('no_overlap', ['during'], { scans: 0, method: 'gist', constraintType: 'x' }),
      index('replica_ident', ['code'], { scans: 0, replicaIdentity: true }),
    ];
    expect(unusedIndexes(indexes).map((ix) => ix.index)).toEqual(['big_idx', 'small_idx']);
  });
});

describe('duplicate and prefix-redundant indexes', () => {
  test('a prefix of another index on the same table is redundant', () => {
    const a = index('orders_customer_idx', ['customer_id']);
    const ab = index('orders_customer_placed_idx', ['customer_id', 'placed_at']);
    expect(redundantIndexes([a, ab])).toEqual([{ index: a, coveredBy: ab, kind: 'prefix' }]);
  });

  test('of two identical indexes only one is reported: the one enforcing nothing, else the less used', () => {
    const plain = index('orders_email_idx', ['email'], { scans: 500 });
    const unique = index('orders_email_key', ['email'], { unique: true, constraintType: 'u', scans: 3 });
    expect(redundantIndexes([plain, unique])).toEqual([{ index: plain, coveredBy: unique, kind: 'duplicate' }]);
    const used = index('orders_ref_a', ['ref'], { scans: 40 });
    const unused = index('orders_ref_b', ['ref'], { scans: 0 });
    expect(redundantIndexes([used, unused])).toEqual([{ index: unused, coveredBy: used, kind: 'duplicate' }]);
  });

  test('reports a chain against the widest index', () => {
    const a = index('i_a', ['a']);
    const ab = index('i_ab', ['a', 'b']);
    const abc = index('i_abc', ['a', 'b', 'c']);
    expect(redundantIndexes([a, ab, abc]).map((r) => `${r.index.index}<${r.coveredBy.index}`)).toEqual(['i_a<i_abc', 'i_ab<i_abc']);
  });

  test.each([
    ['not the leading columns', index('i_b', ['b']), index('i_ab', ['a', 'b'])],
    ['another predicate', index('i_a_open', ['a'], { predicate: "(status = 'open'::text)" }), index('i_ab', ['a', 'b'])],
    ['another method', index('i_a_hash', ['a'], { method: 'hash' }), index('i_ab', ['a', 'b'])],
    ['a non-btree prefix', index('g_a', ['a'], { method: 'gin' }), index('g_ab', ['a', 'b'], { method: 'gin' })],
    ['another operator class', index('i_a_pattern', ['a'], { opclasses: '10043' }), index('i_ab', ['a', 'b'])],
    ['another ordering', index('i_a_desc', ['a'], { options: '3' }), index('i_ab', ['a', 'b'])],
    ['an INCLUDE column the other lacks', index('i_a_inc', ['a'], { includeColumns: ['c'] }), index('i_ab', ['a', 'b'])],
    ['uniqueness on fewer columns', index('i_a_unique', ['a'], { unique: true }), index('i_ab', ['a', 'b'])],
    ['another table', index('i_a', ['a'], { table: 'customers' }), index('i_ab', ['a', 'b'])],
    ['an INVALID covering index', index('i_a', ['a']), index('i_ab', ['a', 'b'], { valid: false })],
  ])('is not redundant with %s', (_what, ix, other) => {
    expect(covers(other, ix)).toBe(false);
    expect(redundantIndexes([ix, other]).map((r) => r.index.index)).not.toContain(ix.index);
  });

  test('an index whose INCLUDE columns the other has is redundant', () => {
    const ix = index('i_a_inc_b', ['a'], { includeColumns: ['b'] });
    expect(covers(index('i_ab', ['a', 'b']), ix)).toBe(true);
  });
});

// --- the whole analysis -----------------------------------------------------------------------

describe('analyze', () => {
  test('every finding has a rule id, a target, a message and a fix', () => {
    const result = analyze(input({
      tables: [tableOf('public.orders')],
      indexes: [index('orders_note_idx', ['note'], { scans: 0 }), index('a', ['x']), index('ab', ['x', 'y'])],
      statements: [statement('SELECT * FROM orders WHERE ref = $1', { totalMs: 99 }), lookup('SELECT * FROM orders WHERE id = $1')],
      longRunning: [session(41)],
      idleInTransaction: [session(42, { state: 'idle in transaction', stateSeconds: 30 })],
      cacheHit: { heapRead: 5_000, heapHit: 95_000, ratio: 0.95 },
      deadTuples: [{ schema: 'public', table: 'orders', name: 'public.orders', liveTuples: 100_000, deadTuples: 30_000, ratio: 0.23, lastVacuum: null, lastAutovacuum: null }],
    }));
    expect(result.findings.map((f) => `${f.rule} ${f.target}`)).toEqual([
      'missing-index public.orders',
      'unused-index public.orders_note_idx',
      'duplicate-index public.a',
      'n-plus-one queryid ' + result.nPlusOne[0].queryId,
      'long-running pid 41',
      'idle-in-transaction pid 42',
      'low-cache-hit app',
      'dead-tuples public.orders',
    ]);
    for (const f of result.findings) {
      expect(f.message.length).toBeGreaterThan(10);
      expect(f.fix.length).toBeGreaterThan(10);
    }
    expect(result.findings.find((f) => f.rule === 'missing-index')!.fix).toMatch(/^CREATE INDEX CONCURRENTLY orders_ref_idx ON public\.orders \(ref\);/);
    expect(result.findings.find((f) => f.rule === 'n-plus-one')!.fix).toMatch(/WHERE id = ANY\(\$1\).*eager-load/);
    expect(result.findings.find((f) => f.rule === 'long-running')!.fix).toContain('pg_cancel_backend(41)');
    expect(result.findings.find((f) => f.rule === 'idle-in-transaction')!.fix).toContain('pg_terminate_backend(42)');
  });

  test('a healthy database has no findings', () => {
    expect(analyze(input({ tables: [tableOf('public.orders', { indexScans: 10_000 })], indexes: [index('orders_pkey', ['id'], { primary: true, unique: true, constraintType: 'p' })] })).findings).toEqual([]);
  });

  test('low-cache-hit below 99 %, not at it, and not without heap accesses', () => {
    const rules = (ratio: number | null) => analyze(input({ cacheHit: { heapRead: 1, heapHit: 1, ratio } })).findings.map((f) => f.rule);
    expect(rules(0.989)).toEqual(['low-cache-hit']);
    expect(rules(0.99)).toEqual([]);
    expect(rules(null)).toEqual([]);
  });

  test('dead-tuples above 10 % and at least 1,000 dead tuples', () => {
    const dead = (ratio: number, deadTuples: number) => analyze(input({
      deadTuples: [{ schema: 'public', table: 't', name: 'public.t', liveTuples: 1, deadTuples, ratio, lastVacuum: null, lastAutovacuum: new Date('2026-01-02T03:04:05Z') }],
    })).findings;
    expect(dead(0.11, 1_000).map((f) => f.message)).toEqual(['11.0 % dead tuples (1,000 dead, 1 live); last vacuum 2026-01-02T03:04:05.000Z']);
    expect(dead(0.1, 50_000)).toEqual([]);
    expect(dead(0.9, 999)).toEqual([]);
  });

  test('without pg_stat_statements: says how to enable it, and the statement rules do not run', () => {
    const notLoaded = analyze(input({ statements: null, pgStatStatements: { preloaded: false, track: null, schema: null, version: null }, tables: [tableOf('public.orders')] }));
    expect(notLoaded.pgStatStatementsAdvice).toBe("pg_stat_statements is not loaded: add pg_stat_statements to shared_preload_libraries (the library's TunedParameterGroup preloads it: "
      + 'a static parameter, so attach the group and reboot the instance); then, in this database: CREATE EXTENSION pg_stat_statements;');
    expect(notLoaded.findings.map((f) => f.rule)).toEqual(['missing-index', 'pg-stat-statements-missing']);
    expect(notLoaded.findings[0].fix).toMatch(/enable pg_stat_statements/);

    const notCreated = analyze(input({ statements: null, pgStatStatements: { preloaded: true, track: 'top', schema: null, version: null } }));
    expect(notCreated.pgStatStatementsAdvice).toBe('pg_stat_statements is preloaded but not created in this database: CREATE EXTENSION pg_stat_statements;');

    const unreadable = analyze(input({ statements: null, statementsError: 'permission denied for view pg_stat_statements (42501)' }));
    expect(unreadable.pgStatStatementsAdvice).toMatch(/could not be read: permission denied.*GRANT pg_read_all_stats/);
  });

  test('topStatements: by total time or by mean time, at most `limit`', () => {
    const s = [statement('a', { totalMs: 10, meanMs: 10 }), statement('b', { totalMs: 100, meanMs: 0.1 }), statement('c', { totalMs: 50, meanMs: 25 })];
    expect(topStatements(s, 'total', 2).map((x) => x.query)).toEqual(['b', 'c']);
    expect(topStatements(s, 'mean', 3).map((x) => x.query)).toEqual(['c', 'a', 'b']);
  });
});

// --- statements as reports show them ------------------------------------------------------------

describe('redactLiterals', () => {
  test.each([
    ['strings and numbers', "SELECT * FROM users WHERE email = 'ann@example.com' AND id = 42 AND score > 1.5e3", 'SELECT * FROM users WHERE email = $1 AND id = $2 AND score > $3'],
    ['a password', "ALTER ROLE app PASSWORD 'hunter2'", 'ALTER ROLE app PASSWORD $1'],
    ['numbered on from the parameters already there', "SELECT $1, $2 FROM t WHERE a = 'x' LIMIT 10", 'SELECT $1, $2 FROM t WHERE a = $3 LIMIT $4'],
    ["a doubled quote inside, and E'' with backslash escapes", "SELECT 'it''s', E'it\\'s \\\\', 'a\\' AS b", 'SELECT $1, $2, $3 AS b'],
    ['dollar-quoted strings, with and without a tag', "SELECT $$a 'b' c$$, $fn$ x $$ y $fn$, 1", 'SELECT $1, $2, $3'],
    ["prefixed strings: B'', X'', N'', U&''", "SELECT B'1010', X'1F', N'naïve', U&'d\\0061t'", 'SELECT $1, $2, $3, $4'],
    ['hexadecimal, octal, binary and underscored numbers', 'SELECT 0x1F, 0o17, 0b101, 1_000_000, .5', 'SELECT $1, $2, $3, $4, $5'],
    ['typed literals and casts', "SELECT date '2026-01-01', '{1,2}'::int[], interval '5 minutes'", 'SELECT date $1, $2::int[], interval $3'],
    ['a literal cut off by pg_stat_activity', "INSERT INTO notes VALUES ('a long note about ann@exam", 'INSERT INTO notes VALUES ($1'],
  ])('%s', (_what, sql, redacted) => {
    expect(redactLiterals(sql)).toBe(redacted);
  });

  test('keeps names (digits in them, quoted ones with quotes inside), operators, parameters and comments', () => {
    const sql = `SELECT t1.c2, "it's a ""name""", a$b FROM t1 -- 'not a string' 7\n/* 'nor this' /* nested 'x' */ 8 */ WHERE j->>'k' = $1`;
    expect(redactLiterals(sql)).toBe(`SELECT t1.c2, "it's a ""name""", a$b FROM t1 -- 'not a string' 7\n/* 'nor this' /* nested 'x' */ 8 */ WHERE j->>$2 = $1`);
  });

  test('leaves pg_stat_statements\' normalized text as it is', () => {
    expect(redactLiterals('SELECT id, name FROM customers WHERE id = ANY($1) LIMIT $2')).toBe('SELECT id, name FROM customers WHERE id = ANY($1) LIMIT $2');
  });

  test('readableStatement: redacted, then on one line and cut', () => {
    expect(readableStatement("SELECT *\n  FROM users\n  WHERE email = 'ann@example.com'", 30)).toBe('SELECT * FROM users WHERE ema…');
    expect(readableStatement("SELECT 'secret'")).toBe('SELECT $1');
  });
});

describe('the statement of a finding', () => {
  test('sessions: the statement, literals redacted, apart from the message', () => {
    const result = analyze(input({
      longRunning: [session(41, { query: "UPDATE users SET email = 'ann@example.com' WHERE id = 7" })],
      idleInTransaction: [session(42, { state: 'idle in transaction', query: "ALTER ROLE app PASSWORD 'hunter2'" }), session(43, { state: 'idle in transaction', query: null })],
    }));
    const [running, idle, noQuery] = result.findings;
    expect(running).toMatchObject({ message: 'running for 7.5 s (user app, database app, application \'web\', from 10.0.0.5/32)', statement: 'UPDATE users SET email = $1 WHERE id = $2' });
    expect(idle.statement).toBe('ALTER ROLE app PASSWORD $1');
    expect(noQuery.statement).toBeUndefined();
    expect(JSON.stringify(result.findings)).not.toMatch(/hunter2|ann@example/);
  });

  test('n-plus-one: the normalized statement apart from the message', () => {
    const [f] = analyze(input({ statements: [lookup('SELECT * FROM orders WHERE id = $1')], tables: [tableOf('public.orders', { seqScans: 0 })] })).findings;
    expect(f).toMatchObject({ rule: 'n-plus-one', message: '600 calls, mean 0.050 ms, one orders row per call by id', statement: 'SELECT * FROM orders WHERE id = $1' });
  });
});

// --- invalid indexes, autovacuum settings, folding --------------------------------------------

describe('invalid indexes', () => {
  test('an INVALID index is invalid-index with REINDEX / DROP INDEX CONCURRENTLY, and not unused-index', () => {
    const broken = index('orders_ref_idx', ['customer_ref'], { valid: false, scans: 0 });
    expect(invalidIndexes([index('ok', ['a']), broken])).toEqual([broken]);
    expect(unusedIndexes([broken])).toEqual([]);
    const [f] = analyze(input({ indexes: [broken] })).findings;
    expect(f).toMatchObject({ rule: 'invalid-index', target: 'public.orders_ref_idx' });
    expect(f.fix).toMatch(/^REINDEX INDEX CONCURRENTLY public\.orders_ref_idx; .* DROP INDEX CONCURRENTLY public\.orders_ref_idx;/);
  });
});

describe('autovacuum settings per table', () => {
  const defaults = { scaleFactor: 0.2, threshold: 50, naptimeSeconds: 60 };
  function vac(table: string, overrides: Partial<TableVacuumStats> = {}): TableVacuumStats {
    return { schema: 'public', table, liveTuples: 200_000, deadTuples: 0, updates: 0, deletes: 0, hotUpdates: 0, tableBytes: 30_000_000, autovacuumCount: 0, options: {}, ...overrides };
  }

  test('a hot table (its trigger passed ten times over since the reset) gets ALTER TABLE … SET with a scale factor near 1 %', () => {
    const [a] = autovacuumAdvice([vac('accounts', { updates: 900_000 }), vac('quiet', { updates: 1_000 })], defaults, 180, 10_000);
    expect(a).toMatchObject({ table: 'public.accounts', triggerNow: 40_050, deadPerSecond: 5000 });
    expect(a.sql).toBe('ALTER TABLE public.accounts SET (autovacuum_vacuum_scale_factor = 0.005, autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0);');
    expect(a.triggerAdvised).toBe(2000);
  });

  test('a 500-million-row table behind its trigger: at most a million dead tuples, and no cost_delay over 1 GB', () => {
    const s = advisedSettings(500_000_000, 200 * 1024 ** 3);
    expect(s).toEqual({ autovacuum_vacuum_scale_factor: '0.002', autovacuum_vacuum_threshold: '1000' });
    const [a] = autovacuumAdvice([vac('events', { liveTuples: 500_000_000, deadTuples: 120_000_000, tableBytes: 200 * 1024 ** 3 })], defaults, null, 10_000);
    expect(a.triggerNow).toBe(100_000_050);
  });

  test('no advice for a table that already has settings as low, nor for a small one', () => {
    const tuned = vac('accounts', { updates: 900_000, options: { autovacuum_vacuum_scale_factor: '0.005', autovacuum_vacuum_threshold: '1000' } });
    expect(autovacuumAdvice([tuned, vac('tiny', { liveTuples: 5_000, updates: 1e6 })], defaults, 180, 10_000)).toEqual([]);
  });
});

describe('bloat estimates', () => {
  const space = (overrides: Partial<RelationSpace>): RelationSpace => ({
    kind: 'table', schema: 'public', name: 'events', table: 'events', tuples: 1_000_000, pages: 0, blockSize: 8192, dataWidth: 100, fillfactor: 100, ...overrides,
  });

  test('a table of a million 100-byte rows needs about 17,000 pages (24-byte headers, 8-byte alignment, 4-byte line pointers)', () => {
    // align(24 + 100) + 4 = 132 bytes a row; 8,168 usable bytes a page.
    expect(expectedPages(space({}))).toBe(Math.ceil(1_000_000 * 132 / 8168));
  });

  test('flagged at twice the needed size with 10 MB to gain; most to gain first', () => {
    const needed = expectedPages(space({}));
    const estimates = bloatEstimates([
      space({ name: 'twice', pages: needed * 2 }),
      space({ name: 'almost', pages: needed * 2 - 10 }),
      space({ name: 'small', tuples: 1000, pages: 100 }),
      space({ name: 'huge', pages: needed * 5 }),
      space({ name: 'unanalyzed', pages: needed * 5, dataWidth: 0 }),
    ]);
    expect(estimates.map((e) => e.relation)).toEqual(['public.huge', 'public.twice']);
    expect(estimates[1]).toMatchObject({ ratio: 2, wastedBytes: needed * 8192 });
  });
});

describe('the text report\'s folding', () => {
  const finding = (target: string, bytes: number): Finding => ({ rule: 'unused-index', target, message: '', fix: '', impact: bytes, bytes });

  test('lists the largest `limit`, folds the rest into one line with their count and total size', () => {
    const findings = [finding('a', 8192), finding('big', 50 * 1024 ** 2), ...Array.from({ length: 11_990 }, (_, k) => finding(`t${k}`, 8192))];
    const f = fold(findings, 10, false);
    expect(f.shown.map((x) => x.target).slice(0, 2)).toEqual(['big', 'a']);
    expect(f.shown).toHaveLength(10);
    expect(f.hidden).toBe(11_982);
    expect(foldedLine(f, 'unused indexes')).toBe('… and 11,982 more unused indexes, 94 MB in all: --all to list');
    expect(fold(findings, 10, true).shown).toHaveLength(findings.length);
    expect(foldedLine(fold(findings.slice(0, 3), 10, false), 'unused indexes')).toBeUndefined();
  });
});
