/** Formatting shared by the commands: durations, ages and plain-text tables. */

/**
 * A coarse age for listings: `45s`, `12m`, `3h 12m`, `2d 4h` (rounded down). Negative ages
 * (a clock ahead of ours) print as `0s`.
 */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (s < 60) return `${s}s`;
  if (m < 60) return `${m}m`;
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${d}d ${h % 24}h`;
}

/** A measured duration: `12s`, `4m 10s`, `1h 3m`, `2d 4h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return formatAge(ms);
}

/** A plain-text table: a header row, then one row per entry, columns padded to the widest cell. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** An ISO-8601 UTC time, or `-` when unknown. */
export function iso(date: Date | undefined): string {
  return date ? date.toISOString() : '-';
}
