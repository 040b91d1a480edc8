/** Percentiles and plain-text tables for benchmark output. */

/** The p-th percentile (0–100) by linear interpolation between closest ranks. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] as number;
  return lowValue + ((sorted[high] as number) - lowValue) * (rank - low);
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** The largest value, by a loop: `Math.max(...values)` overflows the stack past ~100k values. */
export function maximum(values: readonly number[]): number {
  let largest = Number.NaN;
  for (const value of values) if (!(value <= largest)) largest = value;
  return largest;
}

export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/**
 * Steps `from`..`to` (1-based, inclusive) of every run, pooled: a window of steps is far
 * less noisy than a single step, and still pins down where in a run the time goes.
 */
export function stepWindow(runs: readonly number[][], from: number, to: number): number[] {
  return runs.flatMap((steps) => steps.slice(from - 1, to));
}

/** Rounds for display and for the JSON line: two decimals, enough at sub-millisecond scale. */
export function round(value: number, decimals = 2): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return "–";
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

export function printTable(title: string, headers: string[], rows: (string | number)[][]): void {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join("  ");
  console.log(`\n${title}`);
  console.log(line(headers));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const row of cells.slice(1)) console.log(line(row));
}
