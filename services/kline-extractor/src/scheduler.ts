import type { KlineInterval, Market } from "@tradewire/schemas";
import { sleep, type TaskContext } from "@tradewire/supervisor";
import type { Extractor } from "./extractor.js";
import { fixedIntervalMs, nextCloseAt } from "./intervals.js";
import type { Progress } from "./progress.js";

export interface IncrementalScheduleOptions {
  symbols: readonly string[];
  intervals: readonly KlineInterval[];
  market: Market;
  concurrency: number;
  /** Candles fetched for a series that has nothing stored yet. */
  initialLookbackCandles: number;
  /** Wait after a close before fetching (the exchange needs a moment to finalize). */
  closeDelayMs: number;
  now?: () => number;
}

/** The intervals whose candle closed in (after, upTo]: those to fetch on this wake-up. */
export function dueIntervals(
  intervals: readonly KlineInterval[],
  after: number,
  upTo: number,
): KlineInterval[] {
  return intervals.filter((i) => nextCloseAt(i, after) <= upTo);
}

/** When the next candle of any interval closes after `now`. */
export function nextWake(intervals: readonly KlineInterval[], now: number): number {
  return Math.min(...intervals.map((i) => nextCloseAt(i, now)));
}

/**
 * The service task: an incremental run for every interval at start, then after each candle
 * close (+ delay) for the intervals that closed. Progress is recorded while waiting, so the
 * supervisor's stall detection sees a healthy idle loop.
 */
export function incrementalSchedule(
  extractorFor: (progress: Progress) => Extractor,
  opts: IncrementalScheduleOptions,
) {
  const now = opts.now ?? Date.now;
  return async (ctx: TaskContext): Promise<void> => {
    const extractor = extractorFor(taskProgress(ctx));
    let due: KlineInterval[] = [...opts.intervals];
    let checkpoint = now();
    while (!ctx.signal.aborted) {
      for (const interval of due) {
        if (ctx.signal.aborted) break;
        const lookbackMs = (fixedIntervalMs(interval) ?? 31 * 86_400_000) * opts.initialLookbackCandles;
        const report = await extractor.run({
          mode: "incremental",
          market: opts.market,
          interval,
          symbols: opts.symbols,
          start: now() - lookbackMs,
          concurrency: opts.concurrency,
          dryRun: false,
          signal: ctx.signal,
        });
        ctx.count("runs");
        for (const s of report.symbols) {
          ctx.count(s.success ? "symbols_ok" : "symbols_failed");
          ctx.count("written", s.recordsWritten);
        }
      }
      const wake = nextWake(opts.intervals, checkpoint) + opts.closeDelayMs;
      while (!ctx.signal.aborted && now() < wake) {
        ctx.progress();
        await sleep(Math.min(5_000, Math.max(0, wake - now())), ctx.signal);
      }
      const upTo = now() - opts.closeDelayMs;
      due = dueIntervals(opts.intervals, checkpoint, upTo);
      checkpoint = upTo;
      ctx.progress();
    }
  };
}

/** Extraction progress recorded as task liveness (a long catch-up never looks stalled). */
function taskProgress(ctx: TaskContext): Progress {
  return {
    start: () => ctx.progress(),
    advance: (_symbol, candles) => ctx.count("fetched", candles),
    finish: () => ctx.progress(),
    close: () => {},
  };
}
