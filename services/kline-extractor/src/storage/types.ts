import type { KlineInterval, Market } from "@tradewire/schemas";

/**
 * One closed candle as Binance reports it. Times are epoch ms UTC; prices and volumes stay decimal
 * strings end to end (stored as `numeric`, read back as strings) so nothing is rounded.
 */
export interface KlineRow {
  openTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  closeTime: number;
  quoteVolume: string;
  trades: number;
  takerBuyBaseVolume: string;
  takerBuyQuoteVolume: string;
}

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
