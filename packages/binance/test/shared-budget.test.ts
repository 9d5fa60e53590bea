import { createSilentLogger } from "@tradewire/logger";
import { redisScope } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WeightRateLimiter } from "../src/rate-limiter.js";
import { SharedWeightBudget } from "../src/shared-budget.js";

let redis: Awaited<ReturnType<typeof redisScope>>;
beforeEach(async () => {
  redis = await redisScope("budget");
});
afterEach(() => redis.cleanup());

/** Two processes on one IP: each its own limiter and clock, one Redis budget. */
function processes(budgetKey: string) {
  let clock = Math.floor(Date.now() / 60_000) * 60_000 + 1_000;
  const used: { at: number; weight: number }[] = [];
  const make = () => {
    const limiter = new WeightRateLimiter({
      limitPerMinute: 20,
      share: 0.5,
      logger: createSilentLogger(),
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
      shared: new SharedWeightBudget(redis.redis, budgetKey),
    });
    return async (weight: number) => {
      await limiter.acquire(weight);
      used.push({ at: clock, weight });
    };
  };
  return { a: make(), b: make(), used, window: (t: number) => Math.floor(t / 60_000) };
}

describe("SharedWeightBudget", () => {
  it("F43 keeps the IP's weight within one budget across processes", async () => {
    const { a, b, used, window } = processes(redis.key("w"));
    // Each process alone would allow 10 per minute; together they must not exceed 10 either.
    for (let i = 0; i < 5; i++) {
      await a(2);
      await b(2);
    }
    const perWindow = new Map<number, number>();
    for (const u of used) perWindow.set(window(u.at), (perWindow.get(window(u.at)) ?? 0) + u.weight);
    expect([...perWindow.values()].every((w) => w <= 10)).toBe(true);
    expect(perWindow.size).toBe(2);
  });

  it("a 429 seen by one process pauses the other", async () => {
    const key = redis.key("w");
    const shared = new SharedWeightBudget(redis.redis, key);
    const now = Date.now();
    await shared.blockUntil(now + 30_000, now);
    expect(await shared.reserve(1, 10, Math.floor(now / 60_000) * 60_000, now)).toBeGreaterThan(29_000);
    // A shorter block never shortens a longer one.
    await shared.blockUntil(now + 1_000, now);
    expect(await shared.reserve(1, 10, Math.floor(now / 60_000) * 60_000, now)).toBeGreaterThan(29_000);
  });
});
