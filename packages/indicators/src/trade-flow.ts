import type { Indicator } from "./types.js";

export interface TradeFlowImbalanceOptions {
  /** Length of the rolling window in milliseconds. */
  windowMs: number;
  /** Initial capacity of the trade queue; it doubles (one allocation) when a window holds more. */
  initialCapacity?: number;
}

/**
 * Trade-flow imbalance over a rolling time window: (buyVolume - sellVolume) / (buyVolume + sellVolume)
 * where a trade counts as a buy when the buyer was the aggressor (on Binance: `m`/isBuyerMaker is
 * false). The window is `(latestTime - windowMs, latestTime]`; `latestTime` is the newest trade time
 * or a later time given to `advance`. Ready while the window holds volume.
 */
export class TradeFlowImbalance implements Indicator {
  readonly windowMs: number;
  readonly warmupPeriod = 1;
  #times: Float64Array;
  #qtys: Float64Array;
  #head = 0;
  #size = 0;
  #buy = 0;
  #sell = 0;

  constructor(options: TradeFlowImbalanceOptions) {
    if (!(options.windowMs > 0)) throw new RangeError(`windowMs must be > 0, got ${options.windowMs}`);
    this.windowMs = options.windowMs;
    const capacity = Math.max(16, options.initialCapacity ?? 1024);
    this.#times = new Float64Array(capacity);
    this.#qtys = new Float64Array(capacity);
  }

  /** Adds a trade; `buyerIsAggressor` = !isBuyerMaker. Returns the imbalance. */
  update(timeMs: number, quantity: number, buyerIsAggressor: boolean): number {
    if (this.#size === this.#times.length) this.#grow();
    const cap = this.#times.length;
    const tail = (this.#head + this.#size) % cap;
    this.#times[tail] = timeMs;
    this.#qtys[tail] = buyerIsAggressor ? quantity : -quantity;
    this.#size++;
    if (buyerIsAggressor) this.#buy += quantity;
    else this.#sell += quantity;
    return this.advance(timeMs);
  }

  /** Drops trades at or before `nowMs - windowMs`; returns the imbalance. */
  advance(nowMs: number): number {
    const cutoff = nowMs - this.windowMs;
    const cap = this.#times.length;
    while (this.#size > 0 && (this.#times[this.#head] ?? 0) <= cutoff) {
      const q = this.#qtys[this.#head] ?? 0;
      if (q >= 0) this.#buy -= q;
      else this.#sell += q;
      this.#head = (this.#head + 1) % cap;
      this.#size--;
    }
    if (this.#size === 0) {
      this.#buy = 0;
      this.#sell = 0;
    }
    return this.value;
  }

  get isReady(): boolean {
    return this.#buy + this.#sell > 0;
  }

  get value(): number {
    const total = this.#buy + this.#sell;
    return total > 0 ? (this.#buy - this.#sell) / total : Number.NaN;
  }

  get buyVolume(): number {
    return this.#buy;
  }

  get sellVolume(): number {
    return this.#sell;
  }

  /** Number of trades in the window. */
  get tradeCount(): number {
    return this.#size;
  }

  reset(): void {
    this.#head = 0;
    this.#size = 0;
    this.#buy = 0;
    this.#sell = 0;
  }

  #grow(): void {
    const cap = this.#times.length;
    const times = new Float64Array(cap * 2);
    const qtys = new Float64Array(cap * 2);
    for (let i = 0; i < this.#size; i++) {
      const j = (this.#head + i) % cap;
      times[i] = this.#times[j] ?? 0;
      qtys[i] = this.#qtys[j] ?? 0;
    }
    this.#times = times;
    this.#qtys = qtys;
    this.#head = 0;
  }
}
