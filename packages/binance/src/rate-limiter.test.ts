import { captureLogger } from "@tradewire/logger";
import { describe, expect, it } from "vitest";
import { RequestNotSent } from "./errors.js";
import { WeightRateLimiter } from "./rate-limiter.js";
import type { SharedWeightBudget } from "./shared-budget.js";

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

  it("says what pauses every call and until when, while it does (the supervisor's pausedBy)", () => {
    const { l, advance } = limiter();
    expect(l.pausedBy()).toBeUndefined();
    l.on418(120_000);
    expect(l.pausedBy()).toBe(
      `Binance pauses this IP's requests (418 IP ban) until ${new Date(60_000 * 1000 + 120_000).toISOString()}`,
    );
    // A shorter 429 pause inside the ban does not shorten it or rename it.
    l.on429(5_000);
    expect(l.pausedBy()).toContain("418 IP ban");
    advance(120_000);
    expect(l.pausedBy()).toBeUndefined();
  });

  it("F43 a ban another process on this IP got (shared through Redis) pauses calls here too, and pausedBy says so: the task waiting on it is not taken for stalled", async () => {
    let clock = 60_000 * 1000;
    const banEnds = clock + 600_000;
    const paused: (string | undefined)[] = [];
    const l: WeightRateLimiter = new WeightRateLimiter({
      limitPerMinute: 100,
      share: 0.5,
      logger: captureLogger("binance").logger,
      now: () => clock,
      sleep: async (ms) => {
        paused.push(l.pausedBy());
        clock += ms;
      },
      // As SharedWeightBudget answers while another process's 418 holds the IP.
      shared: { reserve: async (_w, _b, _s, now) => Math.max(0, banEnds - now) } as SharedWeightBudget,
    });
    await l.acquire(1);
    expect(paused).toEqual([
      `the weight budget this IP shares through Redis is used up, or another process on it was paused by Binance until ${new Date(banEnds).toISOString()}`,
    ]);
    expect(l.pausedBy()).toBeUndefined();
  });

  it("honours Retry-After after a 429", async () => {
    const { l, slept } = limiter();
    l.on429(5_000);
    await l.acquire(1);
    expect(slept[0]).toBe(5_000);
  });

  it("F43 with a send-by time, a ban ending past it refuses the request at once, naming the ban; no wait, no weight taken", async () => {
    const { l, slept } = limiter();
    const now = 60_000 * 1000;
    l.on418(600_000);
    const refused = await l.acquire(1, { sendBy: now + 300_000 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RequestNotSent);
    expect(refused).toMatchObject({
      code: "NOT_SENT",
      retryable: false,
      why: "Binance pauses this IP's requests (418 IP ban)",
      until: now + 600_000,
      sendBy: now + 300_000,
    });
    expect(String((refused as Error).message)).toBe(
      `not sent: Binance pauses this IP's requests (418 IP ban) until ${new Date(now + 600_000).toISOString()}, past its send-by time ${new Date(now + 300_000).toISOString()}`,
    );
    expect(slept).toEqual([]);
    // A pause that ends in time is waited out.
    await l.acquire(1, { sendBy: now + 900_000 });
    expect(slept).toEqual([600_000]);
    expect(l.maxUsedInWindow).toBe(1);
  });

  it("F43 with a send-by time, a 429 pause is named as such, and a minute's budget used up past it refuses too", async () => {
    const { l, slept } = limiter(100, 0.5);
    const now = 60_000 * 1000;
    l.on429(30_000);
    await expect(l.acquire(1, { sendBy: now + 10_000 })).rejects.toMatchObject({
      why: "Binance pauses this IP's requests (429 rate limit)",
    });
    await l.acquire(50);
    expect(slept).toEqual([30_000]);
    // The window is used up; the next one opens after the send-by time.
    await expect(l.acquire(1, { sendBy: now + 31_000 })).rejects.toMatchObject({
      why: "this process's weight budget for the minute is used up",
    });
    expect(slept).toEqual([30_000]);
  });
});

describe("WeightRateLimiter waits in line (real clock)", () => {
  it("F43 a request in line behind a long wait is let go at its send-by time; the wait ahead ends when its caller stops (F38)", async () => {
    const cap = captureLogger("binance");
    // A budget of one request a minute: the second waits for the next minute.
    const l = new WeightRateLimiter({ limitPerMinute: 2, share: 0.5, logger: cap.logger });
    await l.acquire(1);
    const stop = new AbortController();
    const ahead = l.acquire(1, { signal: stop.signal }).catch((e: unknown) => e);
    const sendBy = Date.now() + 50;
    const refused = await l.acquire(1, { sendBy }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "NOT_SENT", why: "the requests ahead of it still wait", sendBy });
    expect(Date.now()).toBeGreaterThanOrEqual(sendBy);
    stop.abort(new Error("shutdown"));
    expect(await ahead).toMatchObject({ message: "shutdown" });
    expect(l.maxUsedInWindow).toBe(1);
  });
});
