import { subjects, TradeIntent } from "@tradewire/schemas";
import { waitFor } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { exchangeSuite, testnetSettings } from "./harness.js";

const t = exchangeSuite();

/**
 * Eight signals waiting when an engine starts, whose orders the exchange answers in 600 ms each:
 * the signal consumer holds the engine's lock for seconds, deciding one every 600 ms. Once two are
 * under way an intent arrives and waits for the lock. Returns how long it waited, the orders the
 * exchange answered, and the engine's log.
 */
async function intentQueuedBehindSlowBatch(round: number) {
  for (let i = 0; i < 8; i++) await t.env.signal(`slow-${round}-${i}`, { quantity: 0.001 });
  for (let i = 0; i < 8; i++)
    t.fake.fail({ kind: "slow", delayMs: 600, path: "/api/v3/order", method: "POST" });
  const ordersBefore = t.fake.requests.length;
  await t.env.quote("BTCUSDT", 30_000);
  const engine = await t.env.start(
    testnetSettings(t.fake.url, {
      CONSUMER_STALL_S: "2",
      SYMBOL_WHITELIST: "BTCUSDT",
      PRICE_WARMUP_MS: "1500",
    }),
  );
  await waitFor("the slow batch under way", () => engine.cap.find("RECEIVED").length >= 2, 5_000);
  const publishedAt = Date.now();
  const intentId = `queued-${round}`;
  await t.env.bus.publishDurable(
    subjects.tradeIntent(),
    TradeIntent,
    { symbol: "BTCUSDT", action: "BUY", confidence: 0.9, intent_id: intentId, position_size_usd: 30 },
    { msgId: intentId },
  );
  for (let i = 0; i < 8; i++) await t.env.waitEvent(`slow-${round}-${i}`, "filled");
  await t.env.waitEvent(intentId, "filled");
  const received = engine.cap.find("RECEIVED").find((l) => l.signalId === intentId);
  if (received === undefined) throw new Error("the intent filled without a RECEIVED line");
  await engine.stop("round done");
  const orders = t.fake.requests
    .slice(ordersBefore)
    .filter((r) => r.method === "POST" && r.path === "/api/v3/order");
  return { waitedMs: Date.parse(received.timestamp) - publishedAt, orders, cap: engine.cap };
}

describe("consumer stall deadline (F05)", () => {
  it("a consumer queued behind another's long but moving batch is slow, not stalled", async () => {
    // The bus hands the eight over as one batch or several, as they arrive ([8], [5]+[3], …); the
    // intent queues behind what is left of the batch under way, which can be under the 2 s deadline.
    // Such a round proves nothing either way: it is run again, up to three times, until the intent
    // waited longer than the deadline.
    let round = await intentQueuedBehindSlowBatch(0);
    for (let r = 1; r < 3 && round.waitedMs <= 2_000; r++) round = await intentQueuedBehindSlowBatch(r);
    expect(round.waitedMs).toBeGreaterThan(2_000);
    expect(round.orders).toHaveLength(9);
    expect(round.cap.find("task stalled")).toEqual([]);
  }, 60_000);
});
