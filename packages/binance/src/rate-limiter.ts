import type { Logger } from "@tradewire/logger";
import { sleep } from "@tradewire/supervisor";
import { RequestNotSent } from "./errors.js";
import type { SharedWeightBudget } from "./shared-budget.js";
import { untilAborted } from "./until-aborted.js";

export interface RateLimiterOptions {
  /** The exchange's request-weight limit per minute (spot REST: 1200; take it from exchangeInfo.rateLimits). */
  limitPerMinute: number;
  /** Share of the limit this process may use, so it never earns a 429 (let alone a 418) by itself. */
  share: number;
  logger: Logger;
  now?: () => number;
  /** Waits `ms`, or less when `signal` aborts (tests count the waits). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Share the IP's budget with other processes through Redis (optional). */
  shared?: SharedWeightBudget;
}

const MINUTE = 60_000;

export interface AcquireOptions {
  /** Ends the wait: `acquire` rejects with the signal's reason (the caller stops). */
  signal?: AbortSignal;
  /**
   * Epoch ms: a request that could not go out by then is not sent at all (RequestNotSent), e.g. an
   * order whose signal would be stale by the time a ban ends. Refused at once when the wait is known.
   */
  sendBy?: number;
}

/**
 * Keeps used request weight under `share × limitPerMinute` per (UTC) minute window, as Binance
 * counts it; corrects itself from `X-MBX-USED-WEIGHT-1M`; after a 429 waits `Retry-After`; after a
 * 418 stops every call until the ban ends and says so at error.
 */
export class WeightRateLimiter {
  private windowStart = 0;
  private used = 0;
  private blockedUntil = 0;
  /** What set `blockedUntil`, for the requests it holds back. */
  private blockedBy = "";
  private queue: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Highest weight used in any window, for benchmarks and tests. */
  maxUsedInWindow = 0;

  constructor(private readonly opts: RateLimiterOptions) {
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? sleep;
  }

  get budget(): number {
    return Math.floor(this.opts.limitPerMinute * this.opts.share);
  }

  /** What pauses every call now (a 418 ban, a 429's Retry-After) and until when; undefined when nothing does. */
  pausedBy(): string | undefined {
    if (this.now() >= this.blockedUntil) return undefined;
    return `${this.blockedBy} until ${new Date(this.blockedUntil).toISOString()}`;
  }

  setLimit(limitPerMinute: number): void {
    this.opts.limitPerMinute = limitPerMinute;
  }

  /**
   * Waits until `weight` fits in the current window (calls are served in order). With `sendBy`, a
   * wait that would end past it rejects with RequestNotSent instead, and so does a wait in line
   * behind other calls that outlasts it; either way nothing is taken from the budget.
   */
  acquire(weight: number, opts: AcquireOptions = {}): Promise<void> {
    const { sendBy } = opts;
    if (sendBy !== undefined && this.blockedUntil > sendBy)
      return Promise.reject(new RequestNotSent(this.blockedBy, sendBy, this.blockedUntil));
    const gaveUp = new AbortController();
    const stop = opts.signal === undefined ? gaveUp.signal : AbortSignal.any([gaveUp.signal, opts.signal]);
    const timer =
      sendBy === undefined
        ? undefined
        : setTimeout(
            () => gaveUp.abort(new RequestNotSent("the requests ahead of it still wait", sendBy)),
            Math.max(0, sendBy - this.now()),
          );
    // A caller that gave up before its turn takes nothing from the budget.
    const turn = this.queue.then(() => (stop.aborted ? undefined : this.waitFor(weight, stop, sendBy)));
    // The caller gets the rejection through `turn`; the chain itself must keep going.
    this.queue = turn.catch(() => {});
    return untilAborted(turn, stop).finally(() => clearTimeout(timer));
  }

  private async waitFor(weight: number, stop: AbortSignal, sendBy: number | undefined): Promise<void> {
    /** Sleeps until `until`, unless that is past `sendBy` (then not sent, for `why`) or the caller stops. */
    const waitUntil = async (until: number, why: string) => {
      if (sendBy !== undefined && until > sendBy) throw new RequestNotSent(why, sendBy, until);
      await this.sleep(until - this.now(), stop);
      if (stop.aborted) throw stop.reason;
    };
    for (;;) {
      const now = this.now();
      if (now < this.blockedUntil) {
        await waitUntil(this.blockedUntil, this.blockedBy);
        continue;
      }
      this.roll(now);
      if (this.used + weight <= this.budget || this.used === 0) {
        const sharedWaitMs =
          (await this.opts.shared?.reserve(weight, this.budget, this.windowStart, now)) ?? 0;
        if (sharedWaitMs > 0) {
          // Other processes on this IP used the window up, or one of them was paused by Binance
          // (a 418 ban lasts minutes to days): every call here holds, and pausedBy says why.
          this.holdUntil(
            now + sharedWaitMs,
            "the weight budget this IP shares through Redis is used up, or another process on it was paused by Binance",
          );
          continue;
        }
        this.used += weight;
        this.maxUsedInWindow = Math.max(this.maxUsedInWindow, this.used);
        return;
      }
      await waitUntil(
        this.windowStart + MINUTE + 5,
        "this process's weight budget for the minute is used up",
      );
    }
  }

  /** The server's own count (`X-MBX-USED-WEIGHT-1M`) wins when it is higher than ours. */
  observeUsedWeight(serverUsed: number): void {
    this.roll(this.now());
    if (serverUsed > this.used) this.used = serverUsed;
    this.maxUsedInWindow = Math.max(this.maxUsedInWindow, this.used);
  }

  on429(retryAfterMs: number): void {
    this.block(retryAfterMs, "Binance pauses this IP's requests (429 rate limit)");
    this.opts.logger.warn("binance rate limit hit (429); pausing calls", { retryAfterMs });
  }

  on418(retryAfterMs: number): void {
    this.block(retryAfterMs, "Binance pauses this IP's requests (418 IP ban)");
    this.opts.logger.error("binance IP ban (418): every call stops until the ban ends", {
      retryAfterMs,
      until: new Date(this.blockedUntil).toISOString(),
    });
  }

  private block(retryAfterMs: number, by: string): void {
    this.holdUntil(this.now() + retryAfterMs, by);
    this.shareBlock();
  }

  /** Holds every call until `until`, for `by`; a longer hold already set is kept. */
  private holdUntil(until: number, by: string): void {
    if (until < this.blockedUntil) return;
    this.blockedUntil = until;
    this.blockedBy = by;
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
