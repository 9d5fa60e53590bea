import type { Candle } from "@tradewire/indicators";
import { loadRecentKlines, type StoredKline } from "@tradewire/kline-extractor/storage";
import type { Logger } from "@tradewire/logger";
import type pg from "pg";
import type { SymbolState } from "./symbol-state.js";

/**
 * Feeds each symbol's last `candles` closed 1m klines from the `klines` table (written by
 * kline-extractor) into its indicators, so strategies are warm at start (F40). A missing table is
 * logged at warn: strategies then warm up from live candles and say so.
 */
export async function warmUp(
  pool: pg.Pool,
  states: readonly SymbolState[],
  candles: number,
  log: Logger,
): Promise<Record<string, number>> {
  const loaded: Record<string, number> = {};
  for (const state of states) {
    try {
      const rows = await loadRecentKlines(pool, {
        market: "spot",
        symbol: state.symbol,
        interval: "1m",
        limit: candles,
      });
      const taken = state.rebuild(rows.map(toCandle));
      loaded[state.symbol] = taken;
      if (taken < rows.length)
        log.warn("warm-up: the stored 1m klines have a hole; indicators start after it", {
          symbol: state.symbol,
          read: rows.length,
          taken,
        });
    } catch (error) {
      if (error instanceof Error && /relation "klines" does not exist/.test(error.message)) {
        log.warn("warm-up unavailable: no klines table; strategies warm up from live candles", {
          symbol: state.symbol,
        });
        loaded[state.symbol] = 0;
        continue;
      }
      throw new Error(
        `warm-up: cannot read the last ${candles} 1m klines of ${state.symbol} from PostgreSQL`,
        {
          cause: error,
        },
      );
    }
  }
  log.info("warm-up loaded", { candles: loaded });
  return loaded;
}

/** The numbers the indicators read from a stored kline. */
export function toCandle(k: StoredKline): Candle {
  return {
    openTime: k.openTime,
    open: Number(k.open),
    high: Number(k.high),
    low: Number(k.low),
    close: Number(k.close),
    volume: Number(k.volume),
  };
}
