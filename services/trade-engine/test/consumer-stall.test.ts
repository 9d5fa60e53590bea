import { subjects, TradeIntent } from "@tradewire/schemas";
import { waitFor } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { exchangeSuite, testnetSettings } from "./harness.js";

const t = exchangeSuite();

describe("consumer stall deadline (F05)", () => {
  it("a consumer queued behind another's long but moving batch is slow, not stalled", async () => {
    // Eight signals waiting when the engine starts, whose orders the exchange answers in 600 ms each:
    // the signal consumer holds the engine's lock for seconds, deciding one every 600 ms. They
    // usually come as one batch; the bus may hand the last over as a second one, which then
    // competes with the intent for the lock, so the test measures the intent's wait rather than
    // its place in line.
    for (let i = 0; i < 8; i++) await t.env.signal(`slow-${i}`, { quantity: 0.001 });
    for (let i = 0; i < 8; i++)
      t.fake.fail({ kind: "slow", delayMs: 600, path: "/api/v3/order", method: "POST" });
    await t.env.quote("BTCUSDT", 30_000);
    const engine = await t.env.start(
      testnetSettings(t.fake.url, {
        CONSUMER_STALL_S: "2",
        SYMBOL_WHITELIST: "BTCUSDT",
        PRICE_WARMUP_MS: "1500",
      }),
    );
    // After two are under way, the intent queues behind a batch of several however the bus split
    // the eight ([8], [7]+[1] or [1]+[7]).
    await waitFor("the slow batch under way", () => engine.cap.find("RECEIVED").length >= 2, 5_000);
    // Meanwhile an intent waits for the lock, longer than the deadline.
    const publishedAt = Date.now();
    await t.env.bus.publishDurable(
      subjects.tradeIntent(),
      TradeIntent,
      { symbol: "BTCUSDT", action: "BUY", confidence: 0.9, intent_id: "queued", position_size_usd: 30 },
      { msgId: "queued" },
    );
    for (let i = 0; i < 8; i++) await t.env.waitEvent(`slow-${i}`, "filled");
    await t.env.waitEvent("queued", "filled");
    // It was decided after the batch it queued behind: it waited longer than the 2 s deadline.
    const intentReceived = engine.cap.find("RECEIVED").find((l) => l.signalId === "queued");
    if (intentReceived === undefined) throw new Error("the intent filled without a RECEIVED line");
    const waitedMs = Date.parse(intentReceived.timestamp) - publishedAt;
    expect(waitedMs).toBeGreaterThan(2_000);
    const ordersAnswered = t.fake.requests.filter((r) => r.method === "POST" && r.path === "/api/v3/order");
    expect(ordersAnswered).toHaveLength(9);
    expect(engine.cap.find("task stalled")).toEqual([]);
  });
});
