import { RollingStats } from "./rolling-stats.js";
import type { Indicator } from "./types.js";

/** Simple moving average of the last `period` values. Ready after `period` inputs. */
export class SMA implements Indicator {
  readonly period: number;
  readonly warmupPeriod: number;
  #stats: RollingStats;

  constructor(period: number) {
    this.#stats = new RollingStats(period);
    this.period = period;
    this.warmupPeriod = period;
  }

  /** Adds a value; returns the average, or NaN while warming up. */
  update(value: number): number {
    this.#stats.push(value);
    return this.value;
  }

  get isReady(): boolean {
    return this.#stats.isFull;
  }

  get value(): number {
    return this.#stats.isFull ? this.#stats.mean : Number.NaN;
  }

  reset(): void {
    this.#stats.reset();
  }
}
