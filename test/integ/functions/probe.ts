/**
 * The database probe of the integration test: as the application role through the writer name
 * (RDS Proxy), then as the read-only role through the reader name, run a SELECT and an INSERT.
 * The application role's INSERT must succeed; the read-only role's must be refused by PostgreSQL
 * (42501 insufficient_privilege on the primary, or 25006 read_only_sql_transaction on a replica).
 *
 * Pure: no AWS SDK, no environment (index.ts wires those in), so it runs against the test bed's
 * PostgreSQL with the roles the platform's provider creates (test/integ/probe.postgres.test.ts).
 */
import { checkServerIdentity, ConnectionOptions } from 'tls';
import { Client, ClientConfig } from 'pg';

/** The table the probe writes: in the platform's schema, owned by the application role. */
export const PROBE_TABLE = 'app.integ_probe';

/** The SQLSTATEs a refused INSERT of the read-only role may carry. */
export const REFUSED_CODES: Readonly<Record<string, string>> = {
  '42501': 'insufficient_privilege (no INSERT grant: the primary, or the proxy in front of it)',
  '25006': 'read_only_sql_transaction (a read replica)',
};

/** One side of the probe: where to connect and as whom. */
export interface ProbeTarget {
  /** 'writer' or 'reader', for the report. */
  readonly label: string;
  /** The role the connection must be logged in as (`current_user`). */
  readonly user: string;
  readonly config: ClientConfig;
}

/** What the probe found; `problems` is empty when every expectation held. */
export interface ProbeReport {
  readonly writer: { readonly user?: string; readonly select?: string; readonly insert?: string };
  readonly reader: { readonly user?: string; readonly select?: string; readonly insert?: string };
  readonly problems: string[];
}

/**
 * pg's `ssl` for verify-full against `names` (the endpoints behind the CNAME: the certificate
 * names them, not `writer.` / `reader.<zone>`): the chain against `ca` only, the name against any
 * of `names`.
 */
export function verifyFullAgainst(names: readonly string[], ca: readonly string[]): ConnectionOptions {
  if (ca.length === 0) throw new Error('verify-full without a CA certificate: refusing to fall back to Node\'s default roots');
  if (names.length === 0) throw new Error('verify-full without a TLS name to check the certificate against');
  return {
    ca: [...ca],
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) => {
      const errors = names.map((n) => checkServerIdentity(n, cert));
      return errors.some((e) => e === undefined) ? undefined : errors[0];
    },
  };
}

function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function withClient<T>(target: ProbeTarget, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionTimeoutMillis: 10_000, statement_timeout: 10_000, ...target.config });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Runs the probe: the writer creates PROBE_TABLE if missing and inserts a row; the reader
 * selects from it and tries to insert. Never throws: every failure is a line of `problems`.
 */
export async function probeDatabase(writer: ProbeTarget, reader: ProbeTarget, marker = `probe ${new Date().toISOString()}`): Promise<ProbeReport> {
  const problems: string[] = [];
  const w: { user?: string; select?: string; insert?: string } = {};
  const r: { user?: string; select?: string; insert?: string } = {};
  try {
    await withClient(writer, async (c) => {
      w.user = (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0].u;
      if (w.user !== writer.user) problems.push(`writer: logged in as ${w.user}, expected ${writer.user}`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${PROBE_TABLE} (id bigserial PRIMARY KEY, note text NOT NULL, at timestamptz NOT NULL DEFAULT now())`);
      const inserted = await c.query<{ id: string }>(`INSERT INTO ${PROBE_TABLE} (note) VALUES ($1) RETURNING id`, [marker]);
      w.insert = `ok (id ${inserted.rows[0].id})`;
      const n = (await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${PROBE_TABLE}`)).rows[0].n;
      w.select = `ok (${n} rows)`;
    });
  } catch (e) {
    problems.push(`writer (${writer.user}): ${codeOf(e) ? `${codeOf(e)} ` : ''}${messageOf(e)}`);
  }
  try {
    await withClient(reader, async (c) => {
      r.user = (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0].u;
      if (r.user !== reader.user) problems.push(`reader: logged in as ${r.user}, expected ${reader.user}`);
      try {
        const n = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${PROBE_TABLE}`)).rows[0].n);
        r.select = `ok (${n} rows)`;
        if (n < 1) problems.push(`reader: SELECT sees no row of ${PROBE_TABLE}, which the writer just filled`);
      } catch (e) {
        r.select = `failed: ${codeOf(e) ?? ''} ${messageOf(e)}`.trim();
        problems.push(`reader: SELECT ${PROBE_TABLE} failed: ${r.select}`);
      }
      try {
        await c.query(`INSERT INTO ${PROBE_TABLE} (note) VALUES ($1)`, ['written by the read-only role']);
        r.insert = 'ACCEPTED';
        problems.push(`reader: INSERT into ${PROBE_TABLE} as ${reader.user} was accepted: the read-only role can write`);
      } catch (e) {
        const code = codeOf(e);
        if (code && code in REFUSED_CODES) {
          r.insert = `refused ${code}`;
        } else {
          r.insert = `failed: ${code ?? ''} ${messageOf(e)}`.trim();
          problems.push(`reader: INSERT failed, but not as refused by privileges or a replica: ${r.insert}`);
        }
      }
    });
  } catch (e) {
    problems.push(`reader (${reader.user}): ${codeOf(e) ? `${codeOf(e)} ` : ''}${messageOf(e)}`);
  }
  return { writer: w, reader: r, problems };
}
