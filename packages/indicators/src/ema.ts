import { assertPeriod, type Indicator } from "./types.js";

/**
 * Exponential moving average, alpha = 2 / (period + 1), seeded with the SMA of the first `period`
 * inputs (the TA-Lib / technicalindicators convention). Ready after `period` inputs.
 */
export class EMA implements Indicator {
  readonly period: number;
  readonly warmupPeriod: number;
  readonly alpha: number;
  #count = 0;
  #seedSum = 0;
  #value = Number.NaN;

  /** `alpha` overrides the smoothing factor (e.g. 1 / period for Wilder's smoothing). */
  constructor(period: number, alpha = 2 / (period + 1)) {
    assertPeriod("period", period);
    this.period = period;
    this.warmupPeriod = period;
    this.alpha = alpha;
  }

  /** Adds a value; returns the average, or NaN while warming up. */
  update(value: number): number {
    if (this.#count >= this.period) {
      this.#value = (value - this.#value) * this.alpha + this.#value;
      return this.#value;
    }
    this.#seedSum += value;
    this.#count++;
    if (this.#count === this.period) this.#value = this.#seedSum / this.period;
    return this.#value;
  }

  get isReady(): boolean {
    return this.#count >= this.period;
  }

  get value(): number {
    return this.#value;
  }

  reset(): void {
    this.#count = 0;
    this.#seedSum = 0;
    this.#value = Number.NaN;
  }
}

/** Wilder's smoothing (RMA): an EMA with alpha = 1 / period, seeded with the SMA of `period` inputs. */
export function wilderAverage(period: number): EMA {
  return new EMA(period, 1 / period);
}
