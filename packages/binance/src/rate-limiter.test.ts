import { captureLogger } from "@tradewire/logger";
import { describe, expect, it } from "vitest";
import { WeightRateLimiter } from "./rate-limiter.js";

function limiter(limitPerMinute = 100, share = 0.5) {
  let clock = 60_000 * 1000;
  const slept: number[] = [];
  const cap = captureLogger("binance");
  const l = new WeightRateLimiter({
    limitPerMinute,
    share,
    logger: cap.logger,
    now: () => clock,
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
  });
  return { l, slept, cap, advance: (ms: number) => (clock += ms) };
}

describe("WeightRateLimiter", () => {
  it("F43 keeps used weight within its share of the limit, waiting for the next minute", async () => {
    const { l, slept } = limiter(100, 0.5);
    for (let i = 0; i < 25; i++) await l.acquire(2);
    expect(slept).toEqual([]);
    await l.acquire(2);
    expect(slept).toHaveLength(1);
    expect(l.maxUsedInWindow).toBe(50);
  });

  it("corrects itself from the server's X-MBX-USED-WEIGHT-1M", async () => {
    const { l, slept } = limiter(100, 0.5);
    l.observeUsedWeight(49);
    await l.acquire(2);
    expect(slept).toHaveLength(1);
  });

  it("after a 418 stops every call until the ban ends, and logs it at error", async () => {
    const { l, slept, cap } = limiter();
    l.on418(120_000);
    await l.acquire(1);
    expect(slept[0]).toBe(120_000);
    expect(cap.find("binance IP ban (418): every call stops until the ban ends")[0]?.level).toBe("error");
  });

  it("honours Retry-After after a 429", async () => {
    const { l, slept } = limiter();
    l.on429(5_000);
    await l.acquire(1);
    expect(slept[0]).toBe(5_000);
  });
});
