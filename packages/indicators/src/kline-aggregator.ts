import {
  type AggregatedCandle,
  assertInterval,
  beginBucket,
  bucketStart,
  type CandleListener,
  emptyCandle,
  mergeInto,
} from "./candle-bucket.js";
import type { Candle } from "./types.js";

export interface KlineAggregatorOptions {
  /** Target interval, a multiple of `sourceIntervalMs` (e.g. 300_000 for 5m). */
  intervalMs: number;
  /** Interval of the closed input klines; default 60_000 (1m). */
  sourceIntervalMs?: number;
  /** Called with a fresh object for each closed candle, in time order. */
  onClose?: CandleListener;
}

/**
 * Aggregates closed klines (e.g. 1m) into a larger interval on UTC bucket boundaries
 * (bucket start = floor(openTime / intervalMs) × intervalMs).
 *
 * Closing rule: a bucket closes (1) when the source kline that ends it arrives
 * (openTime + sourceIntervalMs = bucket end), or (2) when a kline of a later bucket arrives, so a
 * bucket with missing minutes still closes, or (3) when `flush(nowMs)` is called with
 * nowMs >= bucket end. Buckets with no klines at all are not emitted. A kline whose openTime is not
 * after the last accepted one (duplicate or late) is ignored and counted in `ignored`.
 */
export class KlineAggregator {
  readonly intervalMs: number;
  readonly sourceIntervalMs: number;
  #onClose: CandleListener | undefined;
  #forming: AggregatedCandle = emptyCandle();
  #hasForming = false;
  #lastClosed: AggregatedCandle | undefined;
  #lastSourceOpen = Number.NEGATIVE_INFINITY;
  #ignored = 0;

  constructor(options: KlineAggregatorOptions) {
    this.sourceIntervalMs = options.sourceIntervalMs ?? 60_000;
    assertInterval(this.sourceIntervalMs, 1);
    assertInterval(options.intervalMs, this.sourceIntervalMs);
    this.intervalMs = options.intervalMs;
    this.#onClose = options.onClose;
  }

  /** Adds a closed source kline; returns how many aggregated candles it closed (0, 1 or 2). */
  update(kline: Readonly<Candle>): number {
    if (kline.openTime <= this.#lastSourceOpen) {
      this.#ignored++;
      return 0;
    }
    this.#lastSourceOpen = kline.openTime;
    const start = bucketStart(kline.openTime, this.intervalMs);
    let closed = 0;
    if (this.#hasForming && start > this.#forming.openTime) closed += this.#close();
    if (this.#hasForming) mergeInto(this.#forming, kline);
    else {
      beginBucket(this.#forming, start, this.intervalMs, kline);
      this.#hasForming = true;
    }
    if (kline.openTime + this.sourceIntervalMs >= start + this.intervalMs) closed += this.#close();
    return closed;
  }

  /** Closes the forming candle if its bucket has ended by `nowMs`; returns 0 or 1. */
  flush(nowMs: number): number {
    if (this.#hasForming && nowMs > this.#forming.closeTime) return this.#close();
    return 0;
  }

  /** Live view of the candle being built (mutated by later updates; copy it to keep it). */
  get forming(): Readonly<AggregatedCandle> | undefined {
    return this.#hasForming ? this.#forming : undefined;
  }

  /** The most recently closed candle. */
  get lastClosed(): Readonly<AggregatedCandle> | undefined {
    return this.#lastClosed;
  }

  /** Klines ignored as duplicate or out of order. */
  get ignored(): number {
    return this.#ignored;
  }

  reset(): void {
    this.#hasForming = false;
    this.#lastClosed = undefined;
    this.#lastSourceOpen = Number.NEGATIVE_INFINITY;
    this.#ignored = 0;
  }

  #close(): number {
    const candle = { ...this.#forming };
    this.#hasForming = false;
    this.#lastClosed = candle;
    this.#onClose?.(candle);
    return 1;
  }
}
