import { RollingStats } from "./rolling-stats.js";
import type { Indicator } from "./types.js";

export interface RealizedVolatilityOptions {
  /** Multiply by sqrt(periodsPerYear) to annualise, e.g. 525_600 for 1m bars, 365 for daily. */
  periodsPerYear?: number;
}

/**
 * Realized volatility: sample standard deviation (n - 1) of the last `period` log returns
 * ln(close_t / close_{t-1}), optionally annualised by sqrt(periodsPerYear). Ready after
 * `period + 1` closes.
 */
export class RealizedVolatility implements Indicator {
  readonly period: number;
  readonly warmupPeriod: number;
  readonly #scale: number;
  #stats: RollingStats;
  #prev = Number.NaN;

  constructor(period = 30, options: RealizedVolatilityOptions = {}) {
    if (!Number.isInteger(period) || period < 2) {
      throw new RangeError(`period must be an integer >= 2, got ${period}`);
    }
    this.period = period;
    this.warmupPeriod = period + 1;
    this.#stats = new RollingStats(period);
    this.#scale = options.periodsPerYear === undefined ? 1 : Math.sqrt(options.periodsPerYear);
  }

  /** Adds a close (> 0); returns the volatility, or NaN while warming up. */
  update(close: number): number {
    const prev = this.#prev;
    this.#prev = close;
    if (!Number.isNaN(prev)) this.#stats.push(Math.log(close / prev));
    return this.value;
  }

  get isReady(): boolean {
    return this.#stats.isFull;
  }

  get value(): number {
    return this.isReady ? Math.sqrt(this.#stats.sampleVariance) * this.#scale : Number.NaN;
  }

  reset(): void {
    this.#stats.reset();
    this.#prev = Number.NaN;
  }
}
