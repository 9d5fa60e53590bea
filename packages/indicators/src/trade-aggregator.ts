import {
  type AggregatedCandle,
  assertInterval,
  bucketStart,
  type CandleListener,
  emptyCandle,
} from "./candle-bucket.js";

export interface TradeAggregatorOptions {
  /** Candle interval in milliseconds (a multiple of 1 ms, e.g. 60_000). */
  intervalMs: number;
  /** Called with a fresh object for each closed candle, in time order. */
  onClose?: CandleListener;
}

/**
 * Builds candles from trades on UTC bucket boundaries. A candle closes when a trade of a later
 * bucket arrives or `flush(nowMs)` is called with nowMs >= bucket end; intervals without trades
 * produce no candle. Within the forming bucket, trades may arrive out of order (open is the earliest
 * trade, close the latest); a trade for an already closed bucket is ignored and counted in `ignored`.
 */
export class TradeAggregator {
  readonly intervalMs: number;
  #onClose: CandleListener | undefined;
  #forming: AggregatedCandle = emptyCandle();
  #hasForming = false;
  #firstTime = 0;
  #lastTime = 0;
  #lastClosed: AggregatedCandle | undefined;
  #ignored = 0;

  constructor(options: TradeAggregatorOptions) {
    assertInterval(options.intervalMs, 1);
    this.intervalMs = options.intervalMs;
    this.#onClose = options.onClose;
  }

  /** Adds a trade; returns how many candles it closed (0 or 1). */
  update(price: number, quantity: number, timeMs: number): number {
    const start = bucketStart(timeMs, this.intervalMs);
    const c = this.#forming;
    let closed = 0;
    if (this.#hasForming && start !== c.openTime) {
      if (start < c.openTime) {
        this.#ignored++;
        return 0;
      }
      closed = this.#close();
    } else if (this.#lastClosed !== undefined && start <= this.#lastClosed.openTime) {
      this.#ignored++;
      return 0;
    }
    if (!this.#hasForming) {
      this.#hasForming = true;
      c.openTime = start;
      c.closeTime = start + this.intervalMs - 1;
      c.open = c.high = c.low = c.close = price;
      c.volume = quantity;
      c.count = 1;
      this.#firstTime = this.#lastTime = timeMs;
      return closed;
    }
    if (price > c.high) c.high = price;
    if (price < c.low) c.low = price;
    if (timeMs < this.#firstTime) {
      this.#firstTime = timeMs;
      c.open = price;
    }
    if (timeMs >= this.#lastTime) {
      this.#lastTime = timeMs;
      c.close = price;
    }
    c.volume += quantity;
    c.count++;
    return closed;
  }

  /** Closes the forming candle if its bucket has ended by `nowMs`; returns 0 or 1. */
  flush(nowMs: number): number {
    if (this.#hasForming && nowMs > this.#forming.closeTime) return this.#close();
    return 0;
  }

  /** Live view of the candle being built (mutated by later trades; copy it to keep it). */
  get forming(): Readonly<AggregatedCandle> | undefined {
    return this.#hasForming ? this.#forming : undefined;
  }

  get lastClosed(): Readonly<AggregatedCandle> | undefined {
    return this.#lastClosed;
  }

  /** Trades ignored because their bucket had already closed. */
  get ignored(): number {
    return this.#ignored;
  }

  reset(): void {
    this.#hasForming = false;
    this.#lastClosed = undefined;
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
