import { captureLogger } from "@tradewire/logger";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ThrottledLog } from "../src/throttled-log.js";

afterEach(() => {
  vi.useRealTimers();
});

/** The captured lines once the logger's stream has delivered them. */
async function said(cap: ReturnType<typeof captureLogger>, message: string) {
  await new Promise((r) => setImmediate(r));
  return cap.find(message);
}

describe("ThrottledLog", () => {
  it("says a lasting error once per interval at its level, with how many lines it held back", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_000_000);
    const cap = captureLogger("throttle-test");
    const log = new ThrottledLog(cap.logger, 10_000);
    // A check every 200 ms failing for 25 s: three lines, not 125.
    for (let t = 0; t < 25_000; t += 200) {
      vi.setSystemTime(1_000_000 + t);
      log.error("protection check failed", { symbol: "BTCUSDT" });
    }
    const lines = await said(cap, "protection check failed");
    expect(lines.map((l) => [l.level, l.symbol, l.suppressedSinceLast])).toEqual([
      ["error", "BTCUSDT", 0],
      ["error", "BTCUSDT", 49],
      ["error", "BTCUSDT", 49],
    ]);
  });

  it("says warnings at warn, and the first line after a quiet interval at once", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(0);
    const cap = captureLogger("throttle-test");
    const log = new ThrottledLog(cap.logger, 1_000);
    log.warn("invalid payload", { n: 1 });
    vi.setSystemTime(500);
    log.warn("invalid payload", { n: 2 });
    vi.setSystemTime(5_000);
    log.warn("invalid payload", { n: 3 });
    const lines = await said(cap, "invalid payload");
    expect(lines.map((l) => [l.level, l.n, l.suppressedSinceLast])).toEqual([
      ["warn", 1, 0],
      ["warn", 3, 1],
    ]);
  });
});
