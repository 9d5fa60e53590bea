import type { Indicator } from "./types.js";

/**
 * Bid/ask spread measured in ticks: round((ask - bid) / tickSize). Rounding absorbs the binary
 * floating-point error of prices such as 0.1 + 0.2. Ready after the first quote.
 */
export class SpreadTicks implements Indicator {
  readonly tickSize: number;
  readonly warmupPeriod = 1;
  #bid = Number.NaN;
  #ask = Number.NaN;

  constructor(tickSize: number) {
    if (!(tickSize > 0) || !Number.isFinite(tickSize)) {
      throw new RangeError(`tickSize must be a positive finite number, got ${tickSize}`);
    }
    this.tickSize = tickSize;
  }

  /** Takes the best bid and ask; returns the spread in ticks. */
  update(bestBid: number, bestAsk: number): number {
    this.#bid = bestBid;
    this.#ask = bestAsk;
    return this.value;
  }

  get isReady(): boolean {
    return !Number.isNaN(this.#bid) && !Number.isNaN(this.#ask);
  }

  /** Spread in whole ticks (negative when the book is crossed). */
  get value(): number {
    return Math.round((this.#ask - this.#bid) / this.tickSize);
  }

  /** Raw spread in price units. */
  get spread(): number {
    return this.#ask - this.#bid;
  }

  get midPrice(): number {
    return (this.#ask + this.#bid) / 2;
  }

  reset(): void {
    this.#bid = Number.NaN;
    this.#ask = Number.NaN;
  }
}
