/** A run of candle open times, `start` to `end` inclusive, on a fixed step. */
export interface OpenRange {
  start: number;
  end: number;
}

/** Number of candles in a range on a fixed step. */
export function rangeCount(range: OpenRange, stepMs: number): number {
  return range.end < range.start ? 0 : Math.floor((range.end - range.start) / stepMs) + 1;
}

/**
 * The parts of `range` not covered by `present` open times (sorted or not): what is still
 * missing after a fetch. Each remaining run is a gap the exchange could not fill.
 */
export function missingRuns(range: OpenRange, present: Iterable<number>, stepMs: number): OpenRange[] {
  const have = [...present].filter((t) => t >= range.start && t <= range.end).sort((a, b) => a - b);
  const runs: OpenRange[] = [];
  let cursor = range.start;
  for (const t of have) {
    if (t > cursor) runs.push({ start: cursor, end: t - stepMs });
    if (t >= cursor) cursor = t + stepMs;
  }
  if (cursor <= range.end) runs.push({ start: cursor, end: range.end });
  return runs;
}

/** Collapses sorted open times into contiguous runs (for reporting). */
export function toRuns(openTimes: readonly number[], stepMs: number): OpenRange[] {
  const runs: OpenRange[] = [];
  for (const t of openTimes) {
    const last = runs[runs.length - 1];
    if (last && t === last.end + stepMs) last.end = t;
    else runs.push({ start: t, end: t });
  }
  return runs;
}

export function formatRange(range: OpenRange): string {
  return `${new Date(range.start).toISOString()}..${new Date(range.end).toISOString()}`;
}
