import type { Indicator } from "./types.js";

export interface VWAPOptions {
  /**
   * Restart the accumulation whenever `floor(timeMs / resetIntervalMs)` changes, e.g. `86_400_000`
   * for a session VWAP per UTC day. Omit for a VWAP that only `reset()` restarts.
   */
  resetIntervalMs?: number;
}

/**
 * Cumulative volume-weighted average price: Σ(price × volume) / Σ(volume). Feed trades with
 * `update(price, qty, timeMs)` or bars with `updateBar` (typical price (H + L + C) / 3, as in
 * technicalindicators). Ready once some volume has been seen since the last reset.
 */
export class VWAP implements Indicator {
  readonly warmupPeriod = 1;
  readonly resetIntervalMs: number | undefined;
  #pv = 0;
  #volume = 0;
  #period = Number.NaN;

  constructor(options: VWAPOptions = {}) {
    const interval = options.resetIntervalMs;
    if (interval !== undefined && !(interval > 0)) {
      throw new RangeError(`resetIntervalMs must be > 0, got ${interval}`);
    }
    this.resetIntervalMs = interval;
  }

  /** Adds a trade (or any price/volume pair); returns the VWAP (NaN until volume > 0). */
  update(price: number, volume: number, timeMs = 0): number {
    if (this.resetIntervalMs !== undefined) {
      const period = Math.floor(timeMs / this.resetIntervalMs);
      if (period !== this.#period) {
        this.#period = period;
        this.#pv = 0;
        this.#volume = 0;
      }
    }
    this.#pv += price * volume;
    this.#volume += volume;
    return this.value;
  }

  /** Adds a bar at its typical price (H + L + C) / 3; `timeMs` is the bar's open time. */
  updateBar(high: number, low: number, close: number, volume: number, timeMs = 0): number {
    return this.update((high + low + close) / 3, volume, timeMs);
  }

  get isReady(): boolean {
    return this.#volume > 0;
  }

  get value(): number {
    return this.#volume > 0 ? this.#pv / this.#volume : Number.NaN;
  }

  /** Volume accumulated since the last reset. */
  get volume(): number {
    return this.#volume;
  }

  reset(): void {
    this.#pv = 0;
    this.#volume = 0;
    this.#period = Number.NaN;
  }
}
