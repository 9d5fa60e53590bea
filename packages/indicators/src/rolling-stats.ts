import { RingBuffer } from "./ring-buffer.js";
import { assertPeriod } from "./types.js";

/**
 * Mean and variance over the last `period` values, O(1) per push: a sliding Welford update, with an
 * exact recomputation from the window every `resyncEvery` pushes so rounding drift cannot
 * accumulate over long runs (amortised O(1), no allocation).
 */
export class RollingStats {
  readonly period: number;
  #window: RingBuffer;
  #mean = 0;
  #m2 = 0;
  #sinceResync = 0;
  readonly #resyncEvery: number;

  constructor(period: number) {
    assertPeriod("period", period);
    this.period = period;
    this.#window = new RingBuffer(period);
    this.#resyncEvery = Math.max(period, 512);
  }

  get count(): number {
    return this.#window.size;
  }

  get isFull(): boolean {
    return this.#window.isFull;
  }

  get mean(): number {
    return this.#window.size === 0 ? Number.NaN : this.#mean;
  }

  /** Population variance (divides by n). */
  get variance(): number {
    const n = this.#window.size;
    return n === 0 ? Number.NaN : Math.max(0, this.#m2 / n);
  }

  /** Sample variance (divides by n - 1). */
  get sampleVariance(): number {
    const n = this.#window.size;
    return n < 2 ? Number.NaN : Math.max(0, this.#m2 / (n - 1));
  }

  push(x: number): void {
    const w = this.#window;
    if (!w.isFull) {
      w.push(x);
      const n = w.size;
      const delta = x - this.#mean;
      this.#mean += delta / n;
      this.#m2 += delta * (x - this.#mean);
      return;
    }
    const old = w.push(x);
    if (++this.#sinceResync >= this.#resyncEvery) {
      this.#resync();
      return;
    }
    const oldMean = this.#mean;
    const mean = oldMean + (x - old) / this.period;
    this.#m2 += (x - old) * (x - mean + old - oldMean);
    this.#mean = mean;
  }

  #resync(): void {
    this.#sinceResync = 0;
    const w = this.#window;
    const n = w.size;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += w.get(i);
    const mean = sum / n;
    let m2 = 0;
    for (let i = 0; i < n; i++) {
      const d = w.get(i) - mean;
      m2 += d * d;
    }
    this.#mean = mean;
    this.#m2 = m2;
  }

  reset(): void {
    this.#window.clear();
    this.#mean = 0;
    this.#m2 = 0;
    this.#sinceResync = 0;
  }
}
