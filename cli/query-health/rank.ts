/**
 * Bounding the text report (pghero's pages, dexter's output): each section lists its findings
 * by impact, largest first, up to a limit, and folds the rest into one line with their count and
 * total size: `… and 11,990 more unused indexes, 94 MB in all: --all to list`. `--all` lists
 * everything; `--json` is always complete.
 */
import { formatBytes, formatCount } from './format';
import type { Finding } from './rules';

/** A section's findings as the text report shows them. */
export interface Folded {
  /** The findings to list, most impact first. */
  readonly shown: Finding[];
  /** How many more there are, and their bytes together (null when none of them has a size). */
  readonly hidden: number;
  readonly hiddenBytes: number | null;
}

/** Findings by impact (largest first; ties by target), and the first `limit` of them unless `all`. */
export function fold(findings: readonly Finding[], limit: number, all: boolean): Folded {
  const ranked = [...findings].sort((a, b) => (b.impact ?? 0) - (a.impact ?? 0) || a.target.localeCompare(b.target));
  if (all || ranked.length <= limit) return { shown: ranked, hidden: 0, hiddenBytes: null };
  const rest = ranked.slice(limit);
  const sized = rest.filter((f) => typeof f.bytes === 'number');
  return {
    shown: ranked.slice(0, limit),
    hidden: rest.length,
    hiddenBytes: sized.length > 0 ? sized.reduce((sum, f) => sum + (f.bytes as number), 0) : null,
  };
}

/** The folded line: `… and 11,990 more unused indexes, 94 MB in all: --all to list`; undefined when nothing is folded. */
export function foldedLine(f: Folded, what: string): string | undefined {
  if (f.hidden === 0) return undefined;
  return `… and ${formatCount(f.hidden)} more ${what}${f.hiddenBytes !== null ? `, ${formatBytes(f.hiddenBytes)} in all` : ''}: --all to list`;
}
