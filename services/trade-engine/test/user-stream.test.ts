import { waitFor } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { clientOrderIdFor } from "../src/engine.js";
import { exchangeSuite, metricAt, testnetSettings } from "./harness.js";
import { limitBuy } from "./order-request.js";

const t = exchangeSuite();

// The polls wait ten minutes: within a test only the user data stream (or a resubscription's
// catch-up) can make the engine look at an order.
const settings = (extra: Record<string, string> = {}) =>
  testnetSettings(t.fake.url, { ORDER_POLL_MS: "600000", PROTECTION_POLL_S: "600", ...extra });
const SUBSCRIBED = "user data stream subscribed: working orders are looked up as they change";
const LOST = "user data stream lost; reconnecting, and polling on its own period meanwhile";
const SILENT =
  "user data stream connected but silent: orders the exchange took were not reported; resubscribing";
type Svc = Awaited<ReturnType<typeof t.env.start>>;
const said = (svc: Svc, message: string) => svc.cap.find(message);
const streams = () => {
  const s = t.fake.userStreams;
  if (s === undefined) throw new Error("the fake has no user data streams");
  return s;
};

describe("user data stream (testnet, fake Binance)", () => {
  it("spot: a working GTC's partial fill and fill are recorded as the stream reports them, without waiting for the poll", async () => {
    const svc = await t.env.start(settings());
    await waitFor("subscribed", async () => streams().subscriptions() === 1, 10_000);
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("us-1", limitBuy(29_000));
    await t.env.waitEvent("us-1", "placed");

    t.fake.exchange?.partialFill(clientOrderIdFor("us-1"), "0.004");
    const [partial] = await t.env.waitEvent("us-1", "partial_fill");
    expect(partial).toMatchObject({ filled_quantity: "0.004", avg_price: "29000" });
    t.price.BTCUSDT = "28990.00";
    t.fake.exchange?.trigger("BTCUSDT");
    const [filled] = await t.env.waitEvent("us-1", "filled");
    expect(filled).toMatchObject({ filled_quantity: "0.006", avg_price: "29000" });

    expect(said(svc, "order update from the user data stream; looking it up now")[0]).toMatchObject({
      clientOrderId: clientOrderIdFor("us-1"),
      symbol: "BTCUSDT",
      poll: "orders",
      level: "info",
    });
    expect(await metricAt(svc.url, "tradewire_engine_user_stream_connected")).toBe(1);
    // NEW (the engine's own id, maybe before the placement's answer), the partial TRADE and the
    // final TRADE each woke the order poll.
    expect(said(svc, SILENT)).toEqual([]);
    // Each report costs one lookup of the order it names, never an open-orders request per symbol.
    const asked = (path: string) =>
      t.fake.requests.filter((r) => r.path === path && r.method === "GET" && r.query.symbol).length;
    expect(asked("/api/v3/openOrders")).toBe(0);
    expect(asked("/api/v3/order")).toBeLessThanOrEqual(3);
    expect(
      await metricAt(svc.url, "tradewire_engine_user_stream_events_total", { woke: "orders" }),
    ).toBeGreaterThanOrEqual(3);
  });

  it("spot: the reports of the engine's own market orders cost no request", async () => {
    await t.env.start(settings());
    await waitFor("subscribed", async () => streams().subscriptions() === 1, 10_000);
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("us-mkt", { quantity: 0.01 });
    await t.env.waitEvent("us-mkt", "filled");
    await waitFor(
      "its reports sent",
      async () =>
        streams().sent.filter((e) => e.kind === "spot" && e.event.e === "executionReport").length >= 2,
      5_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(t.fake.requests.filter((r) => r.method === "GET" && r.path === "/api/v3/order")).toEqual([]);
    // (Reconciliation lists every open order at start; the order poll asks per symbol.)
    expect(t.fake.requests.filter((r) => r.path === "/api/v3/openOrders" && r.query.symbol)).toEqual([]);
  });

  it("F39 spot: a lost stream is said, resubscribed, and what it missed meanwhile is looked up at once", async () => {
    const svc = await t.env.start(settings());
    await waitFor("subscribed", async () => streams().subscriptions() === 1, 10_000);
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("us-lost", limitBuy(29_000));
    await t.env.waitEvent("us-lost", "placed");

    // The fill's event is lost with the connection (nothing queues it), as on a real drop.
    streams().mute(true);
    t.fake.exchange?.partialFill(clientOrderIdFor("us-lost"), "0.005");
    streams().drop();
    streams().mute(false);
    await waitFor("the loss said", async () => said(svc, LOST).length > 0, 5_000);
    expect(said(svc, LOST)[0]).toMatchObject({ level: "warn", market: "spot" });
    // Resubscribed, and the catch-up poll found the fill the stream never reported.
    const [partial] = await t.env.waitEvent("us-lost", "partial_fill");
    expect(partial).toMatchObject({ filled_quantity: "0.005" });
    expect(streams().subscriptions()).toBe(1);
    expect(said(svc, SUBSCRIBED).length).toBeGreaterThanOrEqual(2);
  });

  it("F39 spot: a stream that stays connected but does not report an order the exchange took is called silent and resubscribed", async () => {
    const svc = await t.env.start(settings({ USER_STREAM_EXPECT_MS: "500" }));
    await waitFor("subscribed", async () => streams().subscriptions() === 1, 10_000);
    await t.env.quote("BTCUSDT", 30_000);
    // Pings are answered, the socket stays open: only the missing report can tell.
    streams().mute(true);
    await t.env.signal("us-silent", limitBuy(29_000));
    await t.env.waitEvent("us-silent", "placed");
    await waitFor("called silent", async () => said(svc, SILENT).length > 0, 5_000);
    expect(said(svc, SILENT)[0]).toMatchObject({
      level: "warn",
      clientOrderIds: [clientOrderIdFor("us-silent")],
      withinMs: 500,
    });
    await waitFor("resubscribed", async () => said(svc, SUBSCRIBED).length >= 2, 10_000);
    expect(await metricAt(svc.url, "tradewire_engine_user_stream_silent_total")).toBe(1);
    // Heard again after the resubscription: the next fill comes over the stream.
    streams().mute(false);
    t.fake.exchange?.partialFill(clientOrderIdFor("us-silent"), "0.002");
    const [partial] = await t.env.waitEvent("us-silent", "partial_fill");
    expect(partial).toMatchObject({ filled_quantity: "0.002" });
  });

  it("F39 spot: a socket that goes silent (no pong) is dropped and resubscribed", async () => {
    const svc = await t.env.start(settings({ USER_STREAM_PING_MS: "300" }));
    await waitFor("subscribed", async () => streams().subscriptions() === 1, 10_000);
    streams().freeze();
    await waitFor(
      "the silent socket dropped",
      async () => said(svc, LOST).some((l) => /^no pong within 300 ms/.test(String(l.reason))),
      5_000,
    );
    await waitFor("resubscribed", async () => said(svc, SUBSCRIBED).length >= 2, 10_000);
  });

  it("futures: a GTC entry's fill arrives over the listenKey stream; an expired key is replaced", async () => {
    const svc = await t.env.start(settings({ BINANCE_MARKET: "futures" }));
    await waitFor("connected", async () => streams().connections() === 1, 10_000);
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("us-f", { order_type: "LIMIT", price: 31_000, quantity: 0.01, action: "sell" });
    await t.env.waitEvent("us-f", "placed");

    streams().expireListenKey();
    await waitFor(
      "the expiry said",
      async () => said(svc, LOST).some((l) => l.reason === "listenKeyExpired"),
      10_000,
    );
    await waitFor("resubscribed with a new key", async () => said(svc, SUBSCRIBED).length >= 2, 10_000);
    t.price.BTCUSDT = "31010.00";
    t.fake.futures?.trigger("BTCUSDT");
    const [filled] = await t.env.waitEvent("us-f", "filled");
    expect(filled).toMatchObject({ filled_quantity: "0.01", avg_price: "31000" });
  });
});
