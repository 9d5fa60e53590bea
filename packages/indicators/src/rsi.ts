import { type EMA, wilderAverage } from "./ema.js";
import { assertPeriod, type Indicator } from "./types.js";

/**
 * Relative Strength Index with Wilder's smoothing: average gain and loss are seeded with the SMA
 * of the first `period` changes, then smoothed with alpha = 1 / period. RSI = 100 when the average
 * loss is 0. Ready after `period + 1` inputs (period changes).
 */
export class RSI implements Indicator {
  readonly period: number;
  readonly warmupPeriod: number;
  #gain: EMA;
  #loss: EMA;
  #prev = Number.NaN;
  #value = Number.NaN;

  constructor(period = 14) {
    assertPeriod("period", period);
    this.period = period;
    this.warmupPeriod = period + 1;
    this.#gain = wilderAverage(period);
    this.#loss = wilderAverage(period);
  }

  /** Adds a close; returns RSI in [0, 100], or NaN while warming up. */
  update(close: number): number {
    const prev = this.#prev;
    this.#prev = close;
    if (Number.isNaN(prev)) return this.#value;
    const change = close - prev;
    const gain = this.#gain.update(Math.max(change, 0));
    const loss = this.#loss.update(Math.max(-change, 0));
    if (!this.#gain.isReady) return this.#value;
    this.#value = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
    return this.#value;
  }

  get isReady(): boolean {
    return this.#gain.isReady;
  }

  get value(): number {
    return this.#value;
  }

  reset(): void {
    this.#gain.reset();
    this.#loss.reset();
    this.#prev = Number.NaN;
    this.#value = Number.NaN;
  }
}
