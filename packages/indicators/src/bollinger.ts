import { RollingStats } from "./rolling-stats.js";
import type { Indicator } from "./types.js";

/**
 * Bollinger Bands: middle = SMA(period), upper/lower = middle ± multiplier × population standard
 * deviation (divides by n, as Bollinger and the common references do). Ready after `period` inputs.
 */
export class BollingerBands implements Indicator {
  readonly period: number;
  readonly multiplier: number;
  readonly warmupPeriod: number;
  #stats: RollingStats;

  constructor(period = 20, multiplier = 2) {
    this.#stats = new RollingStats(period);
    this.period = period;
    this.multiplier = multiplier;
    this.warmupPeriod = period;
  }

  update(close: number): void {
    this.#stats.push(close);
  }

  get isReady(): boolean {
    return this.#stats.isFull;
  }

  get middle(): number {
    return this.isReady ? this.#stats.mean : Number.NaN;
  }

  /** Population standard deviation of the window. */
  get stdDev(): number {
    return this.isReady ? Math.sqrt(this.#stats.variance) : Number.NaN;
  }

  get upper(): number {
    return this.middle + this.multiplier * this.stdDev;
  }

  get lower(): number {
    return this.middle - this.multiplier * this.stdDev;
  }

  reset(): void {
    this.#stats.reset();
  }
}
