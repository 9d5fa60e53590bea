import { STREAMS } from "@tradewire/bus";
import { type FakeBinanceRest, fillStream, waitFor } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SIGNALS_DURABLE } from "../src/app.js";
import { orderEvent } from "../src/order-events.js";
import { environment, fakeBinance, metricAt, testnetSettings } from "./harness.js";

let env: Awaited<ReturnType<typeof environment>>;
beforeEach(async () => {
  env = await environment();
});
afterEach(async () => {
  await env.cleanup();
});

const outboxRows = async () =>
  Number((await env.db.pool.query("SELECT count(*) AS n FROM engine_outbox")).rows[0]?.n);
const KEPT = "order events could not be published; the outbox keeps them";
const REPUBLISHED = "stored order events were never published; publishing them now";
const eventsOf = async (signalId: string) =>
  (await env.orderEvents()).filter((e) => e.signal_id === signalId);

/** JetStream refuses every order event from here on, as a stream out of storage does (see fillStream). */
const ordersFull = () => fillStream(env.bus.jsm, env.bus.ns.resource(STREAMS.orders.name));

describe("order event outbox", () => {
  it("stores a batch's events with its commit and deletes them once published: nothing is left", async () => {
    // 20 × $100 on one symbol: within the position and symbol limits.
    await env.start({
      OUTBOX_SWEEP_MS: "200",
      MAX_NOTIONAL_PER_POSITION: "5000",
      MAX_NOTIONAL_PER_SYMBOL: "5000",
    });
    await env.quote("BTCUSDT", 30_000);
    await Promise.all(Array.from({ length: 20 }, (_, i) => env.signal(`ob-${i}`)));
    await waitFor(
      "all filled",
      async () => (await env.orderEvents()).filter((e) => e.event === "filled").length === 20,
      15_000,
    );
    await waitFor("outbox emptied", async () => (await outboxRows()) === 0, 5_000);
  });

  it("a stop deletes the rows of events already published: the next start sends nothing again", async () => {
    const first = await env.start({ OUTBOX_SWEEP_MS: "60000" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("stop-flush");
    await env.waitEvent("stop-flush", "filled");
    // Published, its row waits for the next commit or sweep: a minute off.
    expect(await outboxRows()).toBe(1);
    await first.stop("deploy");
    expect(await outboxRows()).toBe(0);
    const second = await env.start({ OUTBOX_SWEEP_MS: "200" });
    await waitFor("a sweep ran", () => second.cap.find("task started").some((l) => l.task === "outbox"));
    await new Promise((r) => setTimeout(r, 500));
    expect(second.cap.find("stored order events were never published; publishing them now")).toEqual([]);
    expect(await eventsOf("stop-flush")).toHaveLength(2);
  });

  it("publishes the events a crash left between a batch's commit and its publish, once, at the next start; a torn row holds nothing back", async () => {
    const first = await env.start();
    await first.stop("crash drill");
    // What a run that died right after committing leaves: the batch's events in the outbox.
    const left = orderEvent(
      "paper",
      "rejected",
      {
        id: "crashed-1",
        source: "signal",
        strategyId: "test",
        symbol: "BTCUSDT",
        action: "BUY",
        confidence: 0.8,
        timestampMs: Date.now(),
        orderType: "MARKET",
        leverage: 1,
      },
      { rejection_source: "risk", rejection_reason: "max_open_positions: 10 open (max 10)" },
    );
    // Ahead of it, a row that cannot go out: it must not hold back the one behind it.
    await env.db.pool.query(
      `INSERT INTO engine_outbox (batch_id, events, created_at) VALUES
         ('torn-0', '[{"subject":', now() - interval '2 minutes'),
         ('dead-0', $1, now() - interval '1 minute')`,
      [JSON.stringify([left])],
    );
    const engine = await env.start({ OUTBOX_SWEEP_MS: "200" });
    await waitFor("republished", async () => (await eventsOf("crashed-1")).length > 0, 10_000);
    await waitFor("row deleted", async () => (await outboxRows()) === 1, 5_000);
    expect(
      engine.cap.find("order events left in the outbox could not be published; kept for the next sweep")[0],
    ).toMatchObject({
      level: "error",
      batchId: "torn-0",
    });
    expect(await eventsOf("crashed-1")).toMatchObject([
      {
        event: "rejected",
        event_id: left.value.event_id,
        rejection_reason: "max_open_positions: 10 open (max 10)",
      },
    ]);
    expect(engine.cap.find("stored order events were never published; publishing them now")).toMatchObject([
      { level: "warn", batchId: "dead-0", events: 1 },
    ]);
    expect(await metricAt(engine.url, "tradewire_engine_outbox_republished_total")).toBe(1);
  });

  it("acks a batch without waiting for its events; keeps those JetStream refuses (the stream full) and publishes them once it takes them again", async () => {
    const engine = await env.start({ OUTBOX_SWEEP_MS: "200" });
    await env.quote("BTCUSDT", 30_000);
    const lift = await ordersFull();
    await env.signal("full-1");
    // Stored with its events, the signal is acked at once: the ack does not wait for the publish
    // (which retries for over a second before it gives up).
    const consumer = () =>
      env.bus.jsm.consumers.info(
        env.bus.ns.resource(STREAMS.signals.name),
        env.bus.ns.resource(SIGNALS_DURABLE),
      );
    await waitFor("acked", async () => {
      const info = await consumer();
      return info.delivered.stream_seq === 1 && info.num_ack_pending === 0;
    });
    expect(engine.cap.find(KEPT)).toEqual([]);
    await waitFor("publish given up", () => engine.cap.find(KEPT).length > 0, 15_000);
    // Decided and stored, the events only in the outbox.
    expect(
      (await env.db.pool.query("SELECT status FROM engine_signals WHERE signal_id = 'full-1'")).rows,
    ).toEqual([{ status: "FILLED" }]);
    await lift();
    // The sweep publishes what the outbox kept.
    await waitFor("published by the sweep", async () => (await eventsOf("full-1")).length === 2, 15_000);
    expect(engine.cap.find(REPUBLISHED)).toEqual([expect.objectContaining({ level: "warn" })]);
    expect((await eventsOf("full-1")).map((e) => e.event).sort()).toEqual(["filled", "placed"]);
    await waitFor("row deleted", async () => (await outboxRows()) === 0, 5_000);
  });

  it("F01 the orders stream deleted on the server is declared again by the next publish: its events go out at once, nothing waits for the sweep", async () => {
    // A sweep a minute off: it cannot be what sends them.
    const engine = await env.start({ OUTBOX_SWEEP_MS: "60000" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("before-delete");
    await env.waitEvent("before-delete", "filled");
    const orders = env.bus.ns.resource(STREAMS.orders.name);
    await env.bus.jsm.streams.delete(orders);
    await env.signal("after-delete");
    await waitFor("published", async () => (await eventsOf("after-delete")).length === 2, 10_000);
    expect(engine.cap.find("jetstream stream gone from the server: declared again")).toEqual([
      expect.objectContaining({ level: "warn", stream: orders }),
    ]);
    expect(engine.cap.find(KEPT)).toEqual([]);
  });
});

describe("order event outbox on the one-by-one path", () => {
  let fake: FakeBinanceRest | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it("testnet: an exchange fill is stored with its events; when they cannot go out they are kept, and published once JetStream takes them, without a second order", async () => {
    fake = await fakeBinance(() => "30010.50", { futures: false });
    const engine = await env.start({ ...testnetSettings(fake.url), OUTBOX_SWEEP_MS: "200" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("tn-ob-0");
    await waitFor("first filled", async () => (await eventsOf("tn-ob-0")).length === 2, 10_000);
    // Published at once, and the row goes with the next sweep: nothing is left in normal running.
    await waitFor("outbox emptied", async () => (await outboxRows()) === 0, 5_000);

    const lift = await ordersFull();
    await env.signal("tn-ob-1");
    await waitFor("kept", () => engine.cap.find(KEPT).length > 0, 15_000);
    expect(
      (await env.db.pool.query("SELECT status FROM engine_signals WHERE signal_id = 'tn-ob-1'")).rows,
    ).toEqual([{ status: "FILLED" }]);
    expect(engine.cap.find(KEPT)[0]).toMatchObject({ level: "error" });
    await lift();
    await waitFor("published by the sweep", async () => (await eventsOf("tn-ob-1")).length === 2, 15_000);
    // From the row the outbox kept, not from the first attempt.
    expect(engine.cap.find(REPUBLISHED)).toHaveLength(1);
    const events = await eventsOf("tn-ob-1");
    expect(events.map((e) => e.event).sort()).toEqual(["filled", "placed"]);
    const orders = fake.exchange?.orders ?? [];
    expect(events.find((e) => e.event === "filled")).toMatchObject({
      mode: "testnet",
      order_id: String(orders[1]?.orderId),
      avg_price: "30010.5",
    });
    // The exchange saw one order per signal: the events were kept, not the signal retried.
    expect(orders.map((o) => o.clientOrderId)).toHaveLength(2);
    await waitFor("row deleted", async () => (await outboxRows()) === 0, 5_000);
  });

  it("paper: a resting LIMIT's cancel is stored with its event, kept until it can go out", async () => {
    const engine = await env.start({ OUTBOX_SWEEP_MS: "200" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("ob-lim", { order_type: "LIMIT", price: 29_000, quantity: 0.01 });
    await waitFor("placed", async () => (await eventsOf("ob-lim")).length === 1, 10_000);

    const lift = await ordersFull();
    const res = await fetch(`${engine.url}/orders/${engine.engine.restingOrders()[0]?.clientOrderId}`, {
      method: "DELETE",
    });
    expect(res.status).toBe(200);
    await waitFor("kept", () => engine.cap.find(KEPT).length > 0, 15_000);
    expect(
      (await env.db.pool.query("SELECT status FROM engine_signals WHERE signal_id = 'ob-lim'")).rows,
    ).toEqual([{ status: "CANCELED" }]);
    await lift();
    await waitFor("canceled published", async () => (await eventsOf("ob-lim")).length === 2, 15_000);
    expect(engine.cap.find(REPUBLISHED)).toHaveLength(1);
    expect(await eventsOf("ob-lim")).toMatchObject([
      { event: "placed" },
      { event: "canceled", reason: "canceled_by_operator: DELETE /orders" },
    ]);
    await waitFor("row deleted", async () => (await outboxRows()) === 0, 5_000);
  });
});
