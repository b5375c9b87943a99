/**
 * The extensions RDS for PostgreSQL 17 lets a database create (CREATE EXTENSION names), and the
 * check the constructs and the provider run on an extension's name. Pure data; lib/ imports it.
 *
 * The names in AWS's table "Extensions supported for RDS for PostgreSQL 17" in "Extension versions
 * for Amazon RDS for PostgreSQL", as of the page that lists RDS for PostgreSQL 18.1 as the newest
 * engine (late 2025):
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-extensions.html
 * Caveat: the stored copy of that page available when this list was written held its opening
 * only, not the table's rows; the names are the table's as the author knows it, not a mechanical
 * copy. Check them against the page (or `SHOW rds.extensions;` on a 17.x instance) before
 * relying on a refusal.
 *
 * The table's rows that are not extensions are left out: libraries loaded through
 * shared_preload_libraries without CREATE EXTENSION (auto_explain) and logical-decoding output
 * plugins (wal2json, test_decoding). AWS adds extensions in minor versions; when one is missing
 * here, check the page (or `SHOW rds.extensions;` on a 17.x instance) and add it.
 */

/** CREATE EXTENSION names RDS for PostgreSQL 17 supports, sorted. */
export const RDS_POSTGRES_17_EXTENSIONS: string[] = [
  'address_standardizer',
  'address_standardizer_data_us',
  'amcheck',
  'autoinc',
  'aws_commons',
  'aws_lambda',
  'aws_s3',
  'bloom',
  'bool_plperl',
  'btree_gin',
  'btree_gist',
  'citext',
  'cube',
  'dblink',
  'dict_int',
  'dict_xsyn',
  'earthdistance',
  'fuzzystrmatch',
  'h3',
  'h3_postgis',
  'hll',
  'hstore',
  'hstore_plperl',
  // HypoPG, which dexter and `db-playbook inspect` plan hypothetical indexes with (issue 19).
  'hypopg',
  'insert_username',
  'intagg',
  'intarray',
  'ip4r',
  'isn',
  'jsonb_plperl',
  'lo',
  'log_fdw',
  'ltree',
  'moddatetime',
  'mysql_fdw',
  'oracle_fdw',
  'orafce',
  'pageinspect',
  'pg_bigm',
  'pg_buffercache',
  'pg_cron',
  'pg_freespacemap',
  'pg_hint_plan',
  'pg_partman',
  'pg_prewarm',
  'pg_proctab',
  'pg_repack',
  'pg_similarity',
  'pg_stat_statements',
  'pg_tle',
  'pg_transport',
  'pg_trgm',
  'pg_visibility',
  'pg_walinspect',
  'pgactive',
  'pgaudit',
  'pgcrypto',
  'pglogical',
  'pgrouting',
  'pgrowlocks',
  'pgstattuple',
  'pgtap',
  'plperl',
  'plpgsql',
  'plprofiler',
  'plrust',
  'pltcl',
  'plv8',
  'postgis',
  'postgis_raster',
  'postgis_tiger_geocoder',
  'postgis_topology',
  'postgres_fdw',
  'prefix',
  'rdkit',
  'rds_tools',
  'refint',
  'seg',
  'sslinfo',
  'tablefunc',
  'tcn',
  'tds_fdw',
  'tsm_system_rows',
  'tsm_system_time',
  'unaccent',
  'uuid-ossp',
  'vector',
];

/** Extension names: lower case, digits, `_` and `-` (uuid-ossp); PostgreSQL's 63-character limit. */
const EXTENSION_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** Names people reach for that RDS spells differently. */
const SPELLED_DIFFERENTLY: Readonly<Record<string, string>> = {
  pgvector: 'vector',
  'h3-pg': 'h3',
  uuid_ossp: 'uuid-ossp',
};

/**
 * Why `name` cannot be an extension a construct creates on RDS for PostgreSQL 17, or undefined
 * when it can.
 */
export function extensionProblem(name: string): string | undefined {
  if (!EXTENSION_NAME.test(name)) {
    return 'lower-case letters, digits, underscores and hyphens only, starting with a letter, at most 63 characters';
  }
  if (RDS_POSTGRES_17_EXTENSIONS.includes(name)) return undefined;
  const spelled = SPELLED_DIFFERENTLY[name];
  if (spelled) return `RDS for PostgreSQL names this extension '${spelled}'`;
  return 'not an extension RDS for PostgreSQL 17 supports (see RDS_POSTGRES_17_EXTENSIONS, copied from '
    + 'https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-extensions.html)';
}
