import { EMA } from "./ema.js";
import type { Indicator } from "./types.js";

/**
 * MACD: line = EMA(fast) - EMA(slow) (both SMA-seeded), signal = EMA(signalPeriod) of the line,
 * histogram = line - signal. `line` is defined after `slowPeriod` inputs; `isReady` (signal and
 * histogram defined) after `slowPeriod + signalPeriod - 1` inputs.
 */
export class MACD implements Indicator {
  readonly warmupPeriod: number;
  #fast: EMA;
  #slow: EMA;
  #signal: EMA;
  #line = Number.NaN;

  constructor(fastPeriod = 12, slowPeriod = 26, signalPeriod = 9) {
    if (fastPeriod >= slowPeriod) {
      throw new RangeError(`fastPeriod (${fastPeriod}) must be < slowPeriod (${slowPeriod})`);
    }
    this.#fast = new EMA(fastPeriod);
    this.#slow = new EMA(slowPeriod);
    this.#signal = new EMA(signalPeriod);
    this.warmupPeriod = slowPeriod + signalPeriod - 1;
  }

  update(close: number): void {
    const fast = this.#fast.update(close);
    const slow = this.#slow.update(close);
    if (!this.#slow.isReady) return;
    this.#line = fast - slow;
    this.#signal.update(this.#line);
  }

  get isReady(): boolean {
    return this.#signal.isReady;
  }

  /** MACD line (NaN until `slowPeriod` inputs). */
  get line(): number {
    return this.#line;
  }

  get signal(): number {
    return this.#signal.value;
  }

  get histogram(): number {
    return this.#line - this.#signal.value;
  }

  reset(): void {
    this.#fast.reset();
    this.#slow.reset();
    this.#signal.reset();
    this.#line = Number.NaN;
  }
}
