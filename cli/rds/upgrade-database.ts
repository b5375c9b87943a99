/**
 * What `db-playbook upgrade` reads inside the source database before a Blue/Green deployment:
 * one query per function, over a read-only session (default_transaction_read_only=on), in every
 * database of the instance (Blue/Green replicates them all).
 */
import { Client } from 'pg';
import { connectReadOnly, VerifyTarget } from './verify-sql';

/** A table logical replication cannot carry UPDATEs and DELETEs of. */
export interface TableWithoutIdentity {
  readonly database: string;
  readonly schema: string;
  readonly table: string;
  /** relreplident: `d` default (no primary key here), `n` nothing, `i` an index that is gone. */
  readonly identity: string;
}

/** A replication slot (pg_replication_slots). */
export interface SlotFacts {
  readonly name: string;
  readonly type: string;
  readonly active: boolean;
  readonly database?: string;
}

/** An installed extension. */
export interface ExtensionFacts {
  readonly database: string;
  readonly name: string;
  readonly version: string;
}

/** What the prechecks read in the database. */
export interface DatabaseFacts {
  readonly databases: readonly string[];
  readonly tablesWithoutIdentity: readonly TableWithoutIdentity[];
  readonly slots: readonly SlotFacts[];
  readonly extensions: readonly ExtensionFacts[];
  /** sum(pg_database_size) of every database, bytes. */
  readonly sizeBytes: number;
}

/** Where to connect: the target's own host (a tunnel) or the instance's endpoint. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

function connect(t: VerifyTarget, endpoint: Endpoint, database: string, timeoutMs: number): Promise<Client> {
  return connectReadOnly(t, t.host ?? endpoint.address, t.port ?? endpoint.port, database, 'db-playbook upgrade prechecks', timeoutMs);
}

/** The databases of the instance a user can connect to (not the templates, not RDS's rdsadmin). */
export const DATABASES_SQL = `SELECT datname FROM pg_database
WHERE datallowconn AND NOT datistemplate AND datname <> 'rdsadmin' ORDER BY datname`;

/**
 * Tables (and partitions) whose UPDATE and DELETE logical replication cannot apply: replica
 * identity `nothing`, `default` without a primary key, or `index` whose index is gone.
 */
export const TABLES_WITHOUT_IDENTITY_SQL = `SELECT n.nspname AS schema, c.relname AS table, c.relreplident AS identity
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND c.relpersistence = 'p'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND (c.relreplident = 'n'
    OR (c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
    OR (c.relreplident = 'i' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident)))
ORDER BY 1, 2`;

export const SLOTS_SQL = 'SELECT slot_name, slot_type, active, database FROM pg_replication_slots ORDER BY slot_name';

export const EXTENSIONS_SQL = 'SELECT extname, extversion FROM pg_extension ORDER BY extname';

export const SIZE_SQL = 'SELECT coalesce(sum(pg_database_size(datname)), 0)::bigint AS bytes FROM pg_database WHERE datallowconn';

/** Reads DatabaseFacts, connecting to `target.database` first and then to every other database. */
export async function readDatabaseFacts(t: VerifyTarget, endpoint: Endpoint, timeoutMs = 30_000): Promise<DatabaseFacts> {
  const first = await connect(t, endpoint, t.database, timeoutMs);
  let databases: string[];
  let slots: SlotFacts[];
  let sizeBytes: number;
  const tablesWithoutIdentity: TableWithoutIdentity[] = [];
  const extensions: ExtensionFacts[] = [];
  const perDatabase = async (client: Client, database: string) => {
    const tables = await client.query<{ schema: string; table: string; identity: string }>(TABLES_WITHOUT_IDENTITY_SQL);
    tablesWithoutIdentity.push(...tables.rows.map((r) => ({ database, ...r })));
    const ext = await client.query<{ extname: string; extversion: string }>(EXTENSIONS_SQL);
    extensions.push(...ext.rows.map((r) => ({ database, name: r.extname, version: r.extversion })));
  };
  try {
    databases = (await first.query<{ datname: string }>(DATABASES_SQL)).rows.map((r) => r.datname);
    slots = (await first.query<{ slot_name: string; slot_type: string; active: boolean; database: string | null }>(SLOTS_SQL)).rows
      .map((r) => ({ name: r.slot_name, type: r.slot_type, active: r.active, database: r.database ?? undefined }));
    sizeBytes = Number((await first.query<{ bytes: string }>(SIZE_SQL)).rows[0]?.bytes ?? 0);
    await perDatabase(first, t.database);
  } finally {
    await first.end().catch(() => undefined);
  }
  for (const database of databases.filter((d) => d !== t.database)) {
    const client = await connect(t, endpoint, database, timeoutMs);
    try {
      await perDatabase(client, database);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return { databases, tablesWithoutIdentity, slots, extensions, sizeBytes };
}
