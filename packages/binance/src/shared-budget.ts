import type { Redis } from "ioredis";

/**
 * The request-weight budget of one IP shared by every process that calls Binance from it (the
 * limit is per IP): a Redis counter per minute window, reserved atomically, plus a shared "blocked
 * until" after a 429/418, so one process's ban stops the others too (F43).
 */
export class SharedWeightBudget {
  constructor(
    private readonly redis: Redis,
    /** Key prefix: one budget per IP (e.g. per node), so name it after what shares the IP. */
    private readonly key = "tradewire:binance:weight",
  ) {}

  /**
   * Reserves `weight` in the window starting at `windowStart` if the IP's total stays within
   * `budget` (a lone call heavier than the budget still goes, as Binance allows it). Returns 0 when
   * reserved, else how long to wait (end of the window, or of a shared block).
   */
  async reserve(weight: number, budget: number, windowStart: number, now: number): Promise<number> {
    const waitMs = await this.redis
      .eval(
        RESERVE,
        2,
        `${this.key}:${windowStart}`,
        `${this.key}:blocked-until`,
        weight,
        budget,
        now,
        windowStart + 60_000,
      )
      .catch((error: unknown) => {
        // Not sent without it: the other processes on this IP could not count the call (F43).
        throw new Error(
          `the weight budget shared through Redis (key ${this.key}) could not be reserved, so the call is not sent: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      });
    return Number(waitMs);
  }

  /** Every process waits until `untilMs` (after a 429 or 418 anywhere on this IP). */
  async blockUntil(untilMs: number, now: number): Promise<void> {
    await this.redis.eval(BLOCK, 1, `${this.key}:blocked-until`, untilMs, Math.max(1, untilMs - now));
  }
}

/** Raises the shared block, never shortens it. */
const BLOCK = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1
`;

const RESERVE = `
local now = tonumber(ARGV[3])
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return blocked - now end
local weight = tonumber(ARGV[1])
local used = redis.call('INCRBY', KEYS[1], weight)
if used == weight then redis.call('PEXPIRE', KEYS[1], 120000) end
if used > tonumber(ARGV[2]) and used ~= weight then
  redis.call('DECRBY', KEYS[1], weight)
  return tonumber(ARGV[4]) - now + 5
end
return 0
`;
