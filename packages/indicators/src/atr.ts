import { type EMA, wilderAverage } from "./ema.js";
import { assertPeriod, type Indicator } from "./types.js";

/** True range of a bar given the previous close: max(high - low, |high - prevClose|, |low - prevClose|). */
export function trueRange(high: number, low: number, prevClose: number): number {
  return Math.max(high - low, Math.abs(high - prevClose), Math.abs(low - prevClose));
}

/**
 * Average True Range (Wilder): true ranges start at the second bar (they need a previous close),
 * the first ATR is the SMA of `period` true ranges, then Wilder-smoothed. Ready after `period + 1`
 * bars.
 */
export class ATR implements Indicator {
  readonly period: number;
  readonly warmupPeriod: number;
  #avg: EMA;
  #prevClose = Number.NaN;

  constructor(period = 14) {
    assertPeriod("period", period);
    this.period = period;
    this.warmupPeriod = period + 1;
    this.#avg = wilderAverage(period);
  }

  /** Adds a bar; returns the ATR, or NaN while warming up. */
  update(high: number, low: number, close: number): number {
    const prevClose = this.#prevClose;
    this.#prevClose = close;
    if (Number.isNaN(prevClose)) return Number.NaN;
    return this.#avg.update(trueRange(high, low, prevClose));
  }

  get isReady(): boolean {
    return this.#avg.isReady;
  }

  get value(): number {
    return this.#avg.value;
  }

  reset(): void {
    this.#avg.reset();
    this.#prevClose = Number.NaN;
  }
}
