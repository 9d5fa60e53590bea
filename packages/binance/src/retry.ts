import type { Logger } from "@tradewire/logger";
import { backoffDelay, sleep } from "@tradewire/supervisor";
import type { BinanceError } from "./errors.js";
import type { WeightRateLimiter } from "./rate-limiter.js";

export interface RetryPolicy {
  path: string;
  weight: number;
  /** Retries after the first attempt; 0 for calls that must not be repeated (orders). */
  retries: number;
  limiter: WeightRateLimiter;
  logger: Logger;
  signal?: AbortSignal;
  /** Epoch ms: not sent at all if the limiter cannot let it out by then (see AcquireOptions). */
  sendBy?: number;
}

/**
 * One REST call under the weight limiter, retried with capped exponential backoff and jitter
 * (never sooner than the exchange's Retry-After) while its error is retryable.
 */
export async function callWithRetry<T>(
  policy: RetryPolicy,
  attempt: () => Promise<T>,
  toBinanceError: (error: unknown) => BinanceError,
): Promise<T> {
  const { path, weight, retries, limiter, logger, signal, sendBy } = policy;
  for (let n = 1; ; n++) {
    await limiter.acquire(weight, { signal, sendBy });
    try {
      return await attempt();
    } catch (error) {
      const err = toBinanceError(error);
      if (!err.retryable || n > retries || signal?.aborted) throw err;
      const delayMs = Math.max(
        err.details.retryAfterMs ?? 0,
        backoffDelay(n, { initialMs: 250, maxMs: 10_000 }),
      );
      logger.warn("binance call failed; retrying", {
        path,
        attempt: n,
        delayMs,
        code: err.code,
        status: err.details.status,
      });
      await sleep(delayMs, signal);
    }
  }
}
