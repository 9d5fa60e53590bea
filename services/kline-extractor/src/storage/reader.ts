import type { Pool } from "pg";
import type { SeriesKey, StoredKline } from "./types.js";

interface KlineDbRow {
  market: StoredKline["market"];
  symbol: string;
  interval: StoredKline["interval"];
  open_time: string;
  close_time: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quote_volume: string;
  trades: string;
  taker_buy_base_volume: string;
  taker_buy_quote_volume: string;
  ingested_at: Date;
}

function toKline(r: KlineDbRow): StoredKline {
  return {
    market: r.market,
    symbol: r.symbol,
    interval: r.interval,
    openTime: Number(r.open_time),
    closeTime: Number(r.close_time),
    open: r.open,
    high: r.high,
    low: r.low,
    close: r.close,
    volume: r.volume,
    quoteVolume: r.quote_volume,
    trades: Number(r.trades),
    takerBuyBaseVolume: r.taker_buy_base_volume,
    takerBuyQuoteVolume: r.taker_buy_quote_volume,
    ingestedAt: r.ingested_at,
  };
}

/**
 * The `limit` most recent stored candles of a series (opened before `before`, when given), oldest
 * first (indicator warm-up). Only closed candles are ever stored, so every row returned is final.
 */
export async function loadRecentKlines(
  pool: Pool,
  opts: SeriesKey & { limit: number; before?: number },
): Promise<StoredKline[]> {
  const result = await pool.query<KlineDbRow>(
    `SELECT * FROM (
       SELECT market, symbol, "interval", open_time, close_time, open, high, low, close, volume,
              quote_volume, trades, taker_buy_base_volume, taker_buy_quote_volume, ingested_at
       FROM klines WHERE market = $1 AND symbol = $2 AND "interval" = $3
         AND ($5::bigint IS NULL OR open_time < $5::bigint)
       ORDER BY open_time DESC LIMIT $4) recent
     ORDER BY open_time ASC`,
    [opts.market, opts.symbol, opts.interval, opts.limit, opts.before ?? null],
  );
  return result.rows.map(toKline);
}

/** Open time of the newest stored candle of a series, or undefined when none is stored. */
export async function lastStoredOpen(pool: Pool, key: SeriesKey): Promise<number | undefined> {
  const result = await pool.query<{ last: string | null }>(
    `SELECT max(open_time) AS last FROM klines WHERE market = $1 AND symbol = $2 AND "interval" = $3`,
    [key.market, key.symbol, key.interval],
  );
  const last = result.rows[0]?.last;
  return last === null || last === undefined ? undefined : Number(last);
}

/** How many candles of a series are stored in [start, end]. */
export async function countStored(
  pool: Pool,
  key: SeriesKey,
  start = 0,
  end = Number.MAX_SAFE_INTEGER,
): Promise<number> {
  const result = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM klines
     WHERE market = $1 AND symbol = $2 AND "interval" = $3 AND open_time BETWEEN $4 AND $5`,
    [key.market, key.symbol, key.interval, start, end],
  );
  return Number(result.rows[0]?.n ?? 0);
}
