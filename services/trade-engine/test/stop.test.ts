import { waitFor } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { exchangeSuite, testnetSettings } from "./harness.js";

const t = exchangeSuite();

describe("stopping mid-batch (F38)", () => {
  it("a stop during a batch leaves what is not started for the restart: nothing is rejected for want of a quote once the feed is gone", async () => {
    // Eight signals waiting; the exchange answers each order in 400 ms; quotes go stale after 300 ms.
    for (let i = 0; i < 8; i++) await t.env.signal(`stop-${i}`, { quantity: 0.001 });
    for (let i = 0; i < 8; i++)
      t.fake.fail({ kind: "slow", delayMs: 400, path: "/api/v3/order", method: "POST" });
    await t.env.quote("BTCUSDT", 30_000);
    const settings = testnetSettings(t.fake.url, {
      SYMBOL_WHITELIST: "BTCUSDT",
      PRICE_WARMUP_MS: "1500",
      PRICE_MAX_AGE_MS: "300",
    });
    const first = await t.env.start(settings);
    await waitFor("the batch under way", () => first.cap.find("ORDER_PLACED").length > 0, 10_000);
    await first.stop("deploy");
    const stored = async () =>
      (await t.env.db.pool.query("SELECT signal_id, status, reason FROM engine_signals")).rows as {
        status: string;
        reason: string | null;
      }[];
    expect((await stored()).filter((r) => r.reason?.startsWith("no_recent_price"))).toEqual([]);
    expect((await stored()).length).toBeLessThan(8);
    // Said by each batch the stop found (the bus may hand the eight over as more than one).
    expect(
      first.cap.find("stopping: requests of the batch not started are left for redelivery").length,
    ).toBeGreaterThan(0);
    // The next run decides the rest, each once.
    await t.env.start(settings);
    for (let i = 0; i < 8; i++) await t.env.waitEvent(`stop-${i}`, "filled");
    expect((await stored()).map((r) => r.status)).toEqual(Array(8).fill("FILLED"));
  });
});
