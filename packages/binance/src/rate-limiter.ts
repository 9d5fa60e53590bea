import type { Logger } from "@tradewire/logger";
import type { SharedWeightBudget } from "./shared-budget.js";

export interface RateLimiterOptions {
  /** The exchange's request-weight limit per minute (spot REST: 1200; take it from exchangeInfo.rateLimits). */
  limitPerMinute: number;
  /** Share of the limit this process may use, so it never earns a 429 (let alone a 418) by itself. */
  share: number;
  logger: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Share the IP's budget with other processes through Redis (optional). */
  shared?: SharedWeightBudget;
}

const MINUTE = 60_000;

/**
 * Keeps used request weight under `share × limitPerMinute` per (UTC) minute window, as Binance
 * counts it; corrects itself from `X-MBX-USED-WEIGHT-1M`; after a 429 waits `Retry-After`; after a
 * 418 stops every call until the ban ends and says so at error.
 */
export class WeightRateLimiter {
  private windowStart = 0;
  private used = 0;
  private blockedUntil = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Highest weight used in any window, for benchmarks and tests. */
  maxUsedInWindow = 0;

  constructor(private readonly opts: RateLimiterOptions) {
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  get budget(): number {
    return Math.floor(this.opts.limitPerMinute * this.opts.share);
  }

  setLimit(limitPerMinute: number): void {
    this.opts.limitPerMinute = limitPerMinute;
  }

  /** Waits until `weight` fits in the current window (calls are served in order). */
  acquire(weight: number): Promise<void> {
    const turn = this.queue.then(() => this.waitFor(weight));
    // The caller gets the rejection through `turn`; the chain itself must keep going.
    this.queue = turn.catch(() => {});
    return turn;
  }

  private async waitFor(weight: number): Promise<void> {
    for (;;) {
      const now = this.now();
      if (now < this.blockedUntil) {
        await this.sleep(this.blockedUntil - now);
        continue;
      }
      this.roll(now);
      if (this.used + weight <= this.budget || this.used === 0) {
        const sharedWaitMs =
          (await this.opts.shared?.reserve(weight, this.budget, this.windowStart, now)) ?? 0;
        if (sharedWaitMs > 0) {
          // Other processes on this IP used the window up: wait for the next one.
          await this.sleep(sharedWaitMs);
          continue;
        }
        this.used += weight;
        this.maxUsedInWindow = Math.max(this.maxUsedInWindow, this.used);
        return;
      }
      await this.sleep(this.windowStart + MINUTE - now + 5);
    }
  }

  /** The server's own count (`X-MBX-USED-WEIGHT-1M`) wins when it is higher than ours. */
  observeUsedWeight(serverUsed: number): void {
    this.roll(this.now());
    if (serverUsed > this.used) this.used = serverUsed;
    this.maxUsedInWindow = Math.max(this.maxUsedInWindow, this.used);
  }

  on429(retryAfterMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + retryAfterMs);
    this.shareBlock();
    this.opts.logger.warn("binance rate limit hit (429); pausing calls", { retryAfterMs });
  }

  on418(retryAfterMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + retryAfterMs);
    this.shareBlock();
    this.opts.logger.error("binance IP ban (418): every call stops until the ban ends", {
      retryAfterMs,
      until: new Date(this.blockedUntil).toISOString(),
    });
  }

  private shareBlock(): void {
    this.opts.shared
      ?.blockUntil(this.blockedUntil, this.now())
      .catch((error: unknown) =>
        this.opts.logger.warn("could not share the rate-limit block through Redis", { err: error }),
      );
  }

  private roll(now: number): void {
    const start = Math.floor(now / MINUTE) * MINUTE;
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.used = 0;
    }
  }
}
