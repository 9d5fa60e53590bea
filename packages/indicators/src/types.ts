/**
 * Common shape of every indicator in this package.
 *
 * Warm-up convention: numeric getters return `NaN` until `isReady` is true; `isReady` becomes true
 * once `warmupPeriod` inputs have been given (for time-window measures: once the window holds data).
 */
export interface Indicator {
  /** Number of inputs needed before the first value is defined. */
  readonly warmupPeriod: number;
  /** True once the indicator has a defined value. */
  readonly isReady: boolean;
  /** Forget all inputs; the instance behaves as newly constructed. */
  reset(): void;
}

/** A price bar; `openTime` is epoch milliseconds UTC. */
export interface Candle {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export function assertPeriod(name: string, period: number, min = 1): void {
  if (!Number.isInteger(period) || period < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${period}`);
  }
}
