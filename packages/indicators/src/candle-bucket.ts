import type { Candle } from "./types.js";

/** A candle built from smaller candles or trades. `count` = source candles or trades it holds. */
export interface AggregatedCandle extends Candle {
  /** Last millisecond of the bucket: openTime + intervalMs - 1 (Binance's convention). */
  closeTime: number;
  count: number;
}

/** Receives each candle as it closes. */
export type CandleListener = (candle: AggregatedCandle) => void;

export function assertInterval(intervalMs: number, unitMs: number): void {
  if (!Number.isInteger(intervalMs) || intervalMs <= 0 || intervalMs % unitMs !== 0) {
    throw new RangeError(`intervalMs must be a positive multiple of ${unitMs}, got ${intervalMs}`);
  }
}

/** UTC bucket start: floor(timeMs / intervalMs) * intervalMs. */
export function bucketStart(timeMs: number, intervalMs: number): number {
  return Math.floor(timeMs / intervalMs) * intervalMs;
}

export function emptyCandle(): AggregatedCandle {
  return { openTime: 0, closeTime: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, count: 0 };
}

/** Starts `c` as the bucket opening at `openTime` with one source (a candle or a trade). */
export function beginBucket(
  c: AggregatedCandle,
  openTime: number,
  intervalMs: number,
  src: Readonly<Candle>,
): void {
  c.openTime = openTime;
  c.closeTime = openTime + intervalMs - 1;
  c.open = src.open;
  c.high = src.high;
  c.low = src.low;
  c.close = src.close;
  c.volume = src.volume;
  c.count = 1;
}

/** Merges a later source into `c`. */
export function mergeInto(c: AggregatedCandle, src: Readonly<Candle>): void {
  if (src.high > c.high) c.high = src.high;
  if (src.low < c.low) c.low = src.low;
  c.close = src.close;
  c.volume += src.volume;
  c.count++;
}
