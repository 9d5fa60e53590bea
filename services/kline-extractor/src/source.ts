import type { KlineInterval, Market } from "@tradewire/schemas";
import type { KlineRow } from "./storage/types.js";

export interface KlineRangeRequest {
  market: Market;
  symbol: string;
  interval: KlineInterval;
  /** First open time wanted (ms, inclusive). */
  startTime: number;
  /** Last open time wanted (ms, inclusive). */
  endTime: number;
  signal?: AbortSignal;
}

/**
 * Where candles come from: pages of closed candles in ascending open time over a range.
 * Production wraps `@tradewire/binance` (rate limited, retried); tests may pass anything.
 */
export interface KlineSource {
  pages(request: KlineRangeRequest): AsyncIterable<readonly KlineRow[]>;
  /**
   * The exchange's clock minus this host's (ms): a candle is closed when the exchange's clock is
   * past its close time, not this host's (one running ahead would take a forming candle for closed).
   * Without it, this host's clock is taken.
   */
  exchangeClockOffset?(market: Market, signal?: AbortSignal): Promise<number>;
  /** Releases connections the source holds (called once, when the run or the service ends). */
  close?(): Promise<void>;
}

/** A failure the extractor reports per symbol; `code` comes from the exchange layer when known. */
export class ExtractionError extends Error {
  override readonly name = "ExtractionError";
  constructor(
    readonly code: "SOURCE_FAILED" | "STORAGE_FAILED" | "UNSUPPORTED",
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
