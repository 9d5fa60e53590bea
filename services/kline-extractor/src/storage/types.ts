import type { BinanceKline } from "@tradewire/binance";
import type { KlineInterval, Market } from "@tradewire/schemas";

/**
 * One closed candle as Binance reports it. Times are epoch ms UTC; prices and volumes stay decimal
 * strings end to end (stored as `numeric`, read back as strings) so nothing is rounded.
 */
export type KlineRow = BinanceKline;

/** Which series a row belongs to: the table key without `open_time`. */
export interface SeriesKey {
  market: Market;
  symbol: string;
  interval: KlineInterval;
}

/** A stored candle with its series and ingestion time. */
export interface StoredKline extends KlineRow, SeriesKey {
  ingestedAt: Date;
}
