import { RingBuffer } from "./ring-buffer.js";
import { assertPeriod, type Indicator } from "./types.js";

/**
 * Monotonic deque over two preallocated ring buffers (values and sequence numbers): the front holds
 * the extreme of the last `period` values. Amortised O(1) per push, no allocation.
 */
class MonotonicDeque {
  #values: RingBuffer;
  #seqs: RingBuffer;
  readonly #sign: number;

  /** `sign` = 1 tracks the maximum, -1 the minimum. */
  constructor(period: number, sign: 1 | -1) {
    this.#values = new RingBuffer(period);
    this.#seqs = new RingBuffer(period);
    this.#sign = sign;
  }

  push(value: number, seq: number, period: number): void {
    const v = this.#values;
    const s = this.#seqs;
    if (s.size > 0 && s.first() <= seq - period) {
      v.shift();
      s.shift();
    }
    const key = value * this.#sign;
    while (v.size > 0 && v.last() * this.#sign <= key) {
      v.pop();
      s.pop();
    }
    v.push(value);
    s.push(seq);
  }

  get front(): number {
    return this.#values.first();
  }

  clear(): void {
    this.#values.clear();
    this.#seqs.clear();
  }
}

/**
 * Highest high and lowest low over the last `period` bars (Donchian channel). Ready after `period`
 * inputs.
 */
export class RollingHighLow implements Indicator {
  readonly period: number;
  readonly warmupPeriod: number;
  #max: MonotonicDeque;
  #min: MonotonicDeque;
  #seq = 0;

  constructor(period: number) {
    assertPeriod("period", period);
    this.period = period;
    this.warmupPeriod = period;
    this.#max = new MonotonicDeque(period, 1);
    this.#min = new MonotonicDeque(period, -1);
  }

  /** Adds a bar; pass the same value twice to track a single series. */
  update(high: number, low: number): void {
    const seq = this.#seq++;
    this.#max.push(high, seq, this.period);
    this.#min.push(low, seq, this.period);
  }

  get isReady(): boolean {
    return this.#seq >= this.period;
  }

  get high(): number {
    return this.isReady ? this.#max.front : Number.NaN;
  }

  get low(): number {
    return this.isReady ? this.#min.front : Number.NaN;
  }

  reset(): void {
    this.#max.clear();
    this.#min.clear();
    this.#seq = 0;
  }
}
