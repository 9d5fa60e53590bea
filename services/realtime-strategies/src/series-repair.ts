import type { Bus } from "@tradewire/bus";
import { loadRecentKlines } from "@tradewire/kline-extractor/storage";
import type { Logger } from "@tradewire/logger";
import { ExtractionEvent, subjects } from "@tradewire/schemas";
import { sleep, type TaskContext, type TaskSpec } from "@tradewire/supervisor";
import type pg from "pg";
import type { SymbolState } from "./symbol-state.js";
import { toCandle } from "./warmup.js";

export interface SeriesRepairOptions {
  pool: pg.Pool;
  /** How many stored candles a rebuild reads (as the warm-up). */
  candles: number;
  retryMs: number;
  log: Logger;
}

/**
 * Makes a symbol's 1m series whole again after a hole in its live candles: once the klines table
 * (kept up to date by kline-extractor) holds the candles up to the first live one after the hole,
 * the candle indicators are rebuilt from them and the live candles since. Until then the candle
 * strategies warm up on the live candles alone, and say why they are cold.
 */
export class SeriesRepair {
  private readonly holed = new Set<SymbolState>();
  /** What was said for each waiting symbol's hole (by the open time of the candle after it). */
  private readonly said = new WeakMap<SymbolState, string>();
  private wake: (() => void) | undefined;
  /** Asked for another round at once (a new hole, or klines stored) since this one began. */
  private again = false;

  constructor(private readonly opts: SeriesRepairOptions) {}

  /** A hole was found in the symbol's live candles: rebuild it as soon as the table allows. */
  add(state: SymbolState): void {
    this.holed.add(state);
    this.again = true;
    this.wake?.();
  }

  /**
   * kline-extractor stored 1m klines of `symbol`: a hole waiting for them is tried at once rather
   * than at the next retry.
   */
  stored(symbol: string): void {
    if (![...this.holed].some((s) => s.symbol === symbol)) return;
    // During a round too: its read may have come before the write.
    this.again = true;
    this.wake?.();
  }

  /**
   * Its supervisor tasks: the repair, and with an events prefix (kline-extractor's), the
   * subscription whose extraction-completed events of written 1m klines wake it.
   */
  tasks(bus: Bus, eventsPrefix: string): TaskSpec[] {
    const repair: TaskSpec = { name: "series-repair", required: false, run: (ctx) => this.run(ctx) };
    if (eventsPrefix === "") return [repair];
    const events: TaskSpec = {
      name: "extraction-events",
      required: false,
      run: (ctx) =>
        bus.runSubscription(
          {
            subject: subjects.extractionAll(eventsPrefix),
            schema: ExtractionEvent,
            schemaName: "ExtractionEvent",
            handler: ({ data }) => {
              const wrote1m = data.event_type === "extraction_completed" && data.period === "1m";
              if (wrote1m && data.metrics.records_written > 0) this.stored(data.symbol);
            },
          },
          ctx,
        ),
    };
    return [repair, events];
  }

  /** A supervisor task: tries each holed symbol at once, then every `retryMs`. */
  async run(ctx: TaskContext): Promise<void> {
    while (!ctx.signal.aborted) {
      ctx.progress();
      this.again = false;
      for (const state of [...this.holed]) await this.attempt(state);
      if (this.again) continue;
      const woken = new AbortController();
      this.wake = () => woken.abort();
      await sleep(this.opts.retryMs, AbortSignal.any([ctx.signal, woken.signal]));
      this.wake = undefined;
    }
  }

  private async attempt(state: SymbolState): Promise<void> {
    const { pool, candles, log } = this.opts;
    const first = state.firstAfterHole;
    // Whole again another way: the live run since the hole grew as long as a warm-up.
    if (first === undefined) {
      this.holed.delete(state);
      return;
    }
    const symbol = state.symbol;
    let rows: Awaited<ReturnType<typeof loadRecentKlines>>;
    try {
      rows = await loadRecentKlines(pool, {
        market: "spot",
        symbol,
        interval: "1m",
        limit: candles,
        before: first.openTime,
      });
    } catch (error) {
      if (this.sayOnce(state, `unreadable ${first.openTime}`))
        log.warn("1m series repair: cannot read the stored klines; trying again", {
          symbol,
          retryMs: this.opts.retryMs,
          err: error,
        });
      return;
    }
    // Live candles that came during the read are taken after the stored ones.
    const stored = state.rebuild(rows.map(toCandle));
    if (stored === 0) {
      if (this.sayOnce(state, `short ${first.openTime}`))
        log.info("1m series repair: the stored klines do not reach the hole yet; trying again", {
          symbol,
          newestStored: iso(rows.at(-1)?.openTime),
          needed: iso(first.openTime - 60_000),
          retryMs: this.opts.retryMs,
        });
      return;
    }
    this.holed.delete(state);
    log.info("1m series whole again: candle indicators rebuilt from the stored klines", {
      symbol,
      stored,
      candles: state.candles,
    });
  }

  /** True the first time `what` happens to this symbol's hole: each is said once, not every retry. */
  private sayOnce(state: SymbolState, what: string): boolean {
    if (this.said.get(state) === what) return false;
    this.said.set(state, what);
    return true;
  }
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
