/**
 * The table-bloat and index-bloat rules (pghero's space page; the estimate is the one of
 * check_postgres and ioguix's bloat queries, simplified): what a table or btree index would take
 * for the rows it holds, from the planner's row count and pg_stats' average column widths, against
 * the pages it has. An estimate, not a measurement (pgstattuple measures): columns without
 * statistics count as 0 bytes, so a table never ANALYZEd is not judged.
 */
import { formatBytes, quoteIdent } from './format';

/** A table's or index's pages and what its rows need (cli/query-health/queries.ts reads them). */
export interface RelationSpace {
  readonly kind: 'table' | 'index';
  readonly schema: string;
  readonly name: string;
  /** The table an index is on (the table itself for a table). */
  readonly table: string;
  readonly tuples: number;
  readonly pages: number;
  readonly blockSize: number;
  /** Average bytes of a row's (or index entry's) data, from pg_stats. */
  readonly dataWidth: number;
  /** Percent (table default 100, btree default 90). */
  readonly fillfactor: number;
}

/** An estimate of a relation's bloat. */
export interface BloatEstimate {
  readonly kind: 'table' | 'index';
  /** `schema.name` */
  readonly relation: string;
  readonly table: string;
  readonly bytes: number;
  readonly expectedBytes: number;
  /** bytes / expectedBytes */
  readonly ratio: number;
  readonly wastedBytes: number;
}

/** Flagged at this ratio of actual to needed size ... */
export const MIN_BLOAT_RATIO = 2;
/** ... with at least this much to gain. */
export const MIN_WASTED_BYTES = 10 * 1024 * 1024;

const align = (n: number) => Math.ceil(n / 8) * 8;

/** The pages a relation's rows need: heap tuples of 24-byte headers, index entries of 8, each with a 4-byte line pointer. */
export function expectedPages(r: RelationSpace): number {
  const header = r.kind === 'table' ? 24 : 8;
  const perRow = align(header + r.dataWidth) + 4;
  const usable = (r.blockSize - 24 - (r.kind === 'index' ? 16 : 0)) * (r.fillfactor / 100);
  return Math.max(1, Math.ceil((r.tuples * perRow) / usable) + (r.kind === 'index' ? 1 : 0));
}

/** Relations at least MIN_BLOAT_RATIO times their needed size with at least MIN_WASTED_BYTES to gain, most wasted first. */
export function bloatEstimates(relations: readonly RelationSpace[]): BloatEstimate[] {
  return relations
    .filter((r) => r.tuples > 0 && r.dataWidth > 0)
    .map((r) => {
      const expected = expectedPages(r);
      return {
        kind: r.kind, relation: `${r.schema}.${r.name}`, table: `${r.schema}.${r.table}`, bytes: r.pages * r.blockSize,
        expectedBytes: expected * r.blockSize, ratio: r.pages / expected, wastedBytes: Math.max(0, r.pages - expected) * r.blockSize,
      };
    })
    .filter((b) => b.ratio >= MIN_BLOAT_RATIO && b.wastedBytes >= MIN_WASTED_BYTES)
    .sort((a, b) => b.wastedBytes - a.wastedBytes || a.relation.localeCompare(b.relation));
}

/** The message and fix of a bloat finding. */
export function bloatFinding(b: BloatEstimate): { message: string; fix: string } {
  const [schema, ...rest] = b.relation.split('.');
  const name = `${quoteIdent(schema)}.${quoteIdent(rest.join('.'))}`;
  const message = `${formatBytes(b.bytes)}, an estimated ${b.ratio.toFixed(1)}x the ${formatBytes(b.expectedBytes)} its rows need (${formatBytes(b.wastedBytes)} to gain)`;
  const fix = b.kind === 'index'
    ? `REINDEX INDEX CONCURRENTLY ${name}; (rebuilds it without blocking writes; needs room for a second copy while it runs)`
    : `pg_repack (RDS for PostgreSQL supports it) rewrites the table online; VACUUM FULL ${name}; does too but locks it against reads and writes while it runs. `
      + 'Then give it per-table autovacuum settings so it does not bloat again';
  return { message, fix };
}
