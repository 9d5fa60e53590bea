import { assertPeriod, type Indicator } from "./types.js";

/** One book level `[price, quantity]`; decimal strings (as the relay publishes them) are accepted. */
export type BookLevel = readonly [price: number | string, quantity: number | string];

/**
 * Order-book depth imbalance over the top `levels` levels of each side:
 * (bidQty - askQty) / (bidQty + askQty), in [-1, 1]; positive means more resting bids.
 * Each `update` replaces the previous snapshot. Ready after a snapshot with non-zero quantity.
 */
export class DepthImbalance implements Indicator {
  readonly levels: number;
  readonly warmupPeriod = 1;
  #bidQty = 0;
  #askQty = 0;

  constructor(levels = 5) {
    assertPeriod("levels", levels);
    this.levels = levels;
  }

  /** Takes bids best-first and asks best-first; returns the imbalance (NaN when both sides are empty). */
  update(bids: ArrayLike<BookLevel>, asks: ArrayLike<BookLevel>): number {
    this.#bidQty = sumTop(bids, this.levels);
    this.#askQty = sumTop(asks, this.levels);
    return this.value;
  }

  get isReady(): boolean {
    return this.#bidQty + this.#askQty > 0;
  }

  get value(): number {
    const total = this.#bidQty + this.#askQty;
    return total > 0 ? (this.#bidQty - this.#askQty) / total : Number.NaN;
  }

  /** Bid quantity summed over the top levels of the last snapshot. */
  get bidQuantity(): number {
    return this.#bidQty;
  }

  /** Ask quantity summed over the top levels of the last snapshot. */
  get askQuantity(): number {
    return this.#askQty;
  }

  reset(): void {
    this.#bidQty = 0;
    this.#askQty = 0;
  }
}

function sumTop(side: ArrayLike<BookLevel>, levels: number): number {
  const n = Math.min(levels, side.length);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const level = side[i];
    if (level !== undefined) sum += Number(level[1]);
  }
  return sum;
}
