import { trueRange } from "./atr.js";
import { type EMA, wilderAverage } from "./ema.js";
import { assertPeriod, type Indicator } from "./types.js";

/**
 * Average Directional Index with +DI / -DI, Wilder's original definition (as in
 * technicalindicators): TR, +DM and -DM start at the second bar; their Wilder sums are seeded with
 * the plain sum of the first `period` values and then updated as `S = S - S / period + x`;
 * +DI = 100 × S(+DM) / S(TR), -DI likewise, DX = 100 × |+DI - -DI| / (+DI + -DI) (0 when both are 0),
 * ADX = Wilder average of DX seeded with the SMA of the first `period` DX values.
 * `plusDI`/`minusDI`/`dx` are defined after `period + 1` bars; ADX (`isReady`) after `2 × period` bars.
 */
export class ADX implements Indicator {
  readonly period: number;
  readonly warmupPeriod: number;
  #adx: EMA;
  #bars = 0;
  #prevHigh = Number.NaN;
  #prevLow = Number.NaN;
  #prevClose = Number.NaN;
  #sumTr = 0;
  #sumPlus = 0;
  #sumMinus = 0;
  #plusDI = Number.NaN;
  #minusDI = Number.NaN;
  #dx = Number.NaN;

  constructor(period = 14) {
    assertPeriod("period", period);
    this.period = period;
    this.warmupPeriod = 2 * period;
    this.#adx = wilderAverage(period);
  }

  /** Adds a bar; returns the ADX, or NaN while warming up. */
  update(high: number, low: number, close: number): number {
    const bar = this.#bars++;
    const prevHigh = this.#prevHigh;
    const prevLow = this.#prevLow;
    const prevClose = this.#prevClose;
    this.#prevHigh = high;
    this.#prevLow = low;
    this.#prevClose = close;
    if (bar === 0) return Number.NaN;
    const up = high - prevHigh;
    const down = prevLow - low;
    const plusDM = up > down && up > 0 ? up : 0;
    const minusDM = down > up && down > 0 ? down : 0;
    const tr = trueRange(high, low, prevClose);
    const n = this.period;
    if (bar <= n) {
      this.#sumTr += tr;
      this.#sumPlus += plusDM;
      this.#sumMinus += minusDM;
      if (bar < n) return Number.NaN;
    } else {
      this.#sumTr = this.#sumTr - this.#sumTr / n + tr;
      this.#sumPlus = this.#sumPlus - this.#sumPlus / n + plusDM;
      this.#sumMinus = this.#sumMinus - this.#sumMinus / n + minusDM;
    }
    const plusDI = this.#sumTr === 0 ? 0 : (this.#sumPlus * 100) / this.#sumTr;
    const minusDI = this.#sumTr === 0 ? 0 : (this.#sumMinus * 100) / this.#sumTr;
    const diSum = plusDI + minusDI;
    this.#plusDI = plusDI;
    this.#minusDI = minusDI;
    this.#dx = diSum === 0 ? 0 : (Math.abs(plusDI - minusDI) / diSum) * 100;
    return this.#adx.update(this.#dx);
  }

  get isReady(): boolean {
    return this.#adx.isReady;
  }

  get value(): number {
    return this.#adx.value;
  }

  get plusDI(): number {
    return this.#plusDI;
  }

  get minusDI(): number {
    return this.#minusDI;
  }

  get dx(): number {
    return this.#dx;
  }

  reset(): void {
    this.#adx.reset();
    this.#bars = 0;
    this.#prevHigh = Number.NaN;
    this.#prevLow = Number.NaN;
    this.#prevClose = Number.NaN;
    this.#sumTr = 0;
    this.#sumPlus = 0;
    this.#sumMinus = 0;
    this.#plusDI = Number.NaN;
    this.#minusDI = Number.NaN;
    this.#dx = Number.NaN;
  }
}
