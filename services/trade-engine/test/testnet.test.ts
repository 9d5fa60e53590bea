import { parseConfig } from "@tradewire/config";
import { MarketData, type OrderEvent, subjects, type TradingSignalInput } from "@tradewire/schemas";
import { bookTicker, waitFor } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../src/config.js";
import { clientOrderIdFor } from "../src/engine.js";
import type { SentDecision } from "../src/sent-decision.js";
import { insertClaim } from "./claim-row.js";
import {
  exchangeSuite,
  fakeBinance,
  metricAt,
  metricsAt,
  TEST_API_SECRET,
  testnetSettings,
} from "./harness.js";
import { orderRequest } from "./order-request.js";
import { refuseWrites } from "./refuse-writes.js";

const t = exchangeSuite({ futures: false });

const testnet = () => t.env.start(testnetSettings(t.fake.url));
/** The first `times` order rows of `signalId` are refused: its fill executes, storing it fails. */
const refuseOrderRowsOf = (signalId: string, times: number) =>
  refuseWrites(t.env.db.pool, {
    table: "engine_orders",
    on: "INSERT",
    when: `NEW.signal_id = '${signalId}'`,
    times,
  });

/** Sends a signal and returns its final order event (filled or rejected) once it is out. */
async function decided(id: string, extra: Partial<TradingSignalInput>): Promise<OrderEvent> {
  const final = async () =>
    (await t.env.orderEvents()).find(
      (e) => e.signal_id === id && (e.event === "filled" || e.event === "rejected"),
    );
  await t.env.signal(id, extra);
  await waitFor(`${id} decided`, async () => (await final()) !== undefined, 10_000);
  return (await final()) as OrderEvent;
}

const ADOPTED = "reconcile: open order adopted for its signal";

/**
 * A signal claimed before a crash, whose LIMIT (0.01 by default) reached the exchange but was never
 * recorded: its claim row (with the decision it sent, if given), and the order open on the fake.
 * Returns the order's client id.
 */
async function orderSentBeforeCrash(
  id: string,
  action: "BUY" | "SELL" = "BUY",
  price = 29_000,
  sent?: SentDecision,
): Promise<string> {
  const request = orderRequest({ id, action, orderType: "LIMIT", limitPrice: price });
  await insertClaim(t.env.db.pool, { id, action, request, ...(sent === undefined ? {} : { sent }) });
  const clientOrderId = clientOrderIdFor(id);
  const quantity = sent?.quantity ?? "0.01";
  t.fake.exchange?.addOpenOrder({
    symbol: "BTCUSDT",
    clientOrderId,
    side: action,
    quantity,
    price: String(price),
  });
  return clientOrderId;
}

describe("trade-engine on testnet (fake Binance)", () => {
  it("sends a signed market order with the client id derived from the signal, and records the exchange fill", async () => {
    const engine = await testnet();
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("tn-1");
    await waitFor(
      "filled",
      async () => (await t.env.orderEvents()).some((e) => e.event === "filled"),
      10_000,
    );
    const orders = t.fake.exchange?.orders ?? [];
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      clientOrderId: clientOrderIdFor("tn-1"),
      side: "BUY",
      type: "MARKET",
      status: "FILLED",
    });
    const filled = (await t.env.orderEvents()).find((e) => e.event === "filled");
    // The exchange's order id and fill price, not the paper quote.
    expect(filled).toMatchObject({
      mode: "testnet",
      order_id: String(orders[0]?.orderId),
      avg_price: "30010.5",
    });
    const body = (await (await fetch(`${engine.url}/positions`)).json()) as {
      positions: { symbol: string; avgPrice: number }[];
    };
    expect(body.positions.find((p) => p.symbol === "BTCUSDT")?.avgPrice).toBeCloseTo(30010.5, 6);
    // Secrets never reach the logs.
    expect(JSON.stringify(engine.cap.lines())).not.toContain(TEST_API_SECRET);
  });

  it("spot: a BUY's commission paid in the base asset is priced into the fee and not held; the CLOSE sells what is held", async () => {
    const venue = await fakeBinance((s) => t.price[s], { futures: false, buyCommissionIn: "base" });
    try {
      await t.env.start(testnetSettings(venue.url));
      await t.env.quote("BTCUSDT", 30_000);
      const bought = await decided("tn-basefee", { quantity: 0.01 });
      const charged = venue.exchange?.orders[0]?.fills?.[0];
      expect(charged).toMatchObject({ commissionAsset: "BTC", commission: "0.00001000" });
      // 0.00001 BTC at 30,010.5 in the fee; 0.00999 held.
      expect(Number(bought.event === "filled" && bought.fee)).toBeCloseTo(0.00001 * 30_010.5, 9);
      expect((await t.env.db.pool.query("SELECT quantity FROM engine_positions")).rows).toEqual([
        { quantity: 0.00999 },
      ]);
      expect((await t.env.db.pool.query("SELECT base_fee::text FROM engine_fills")).rows).toEqual([
        { base_fee: "0.00001" },
      ]);
      expect((await decided("tn-basefee-close", { action: "close" })).event).toBe("filled");
      expect(venue.exchange?.orders[1]).toMatchObject({ side: "SELL", origQty: "0.00999" });
      expect((await t.env.db.pool.query("SELECT quantity FROM engine_positions")).rows).toEqual([
        { quantity: 0 },
      ]);
    } finally {
      await venue.close();
    }
  });

  it("spot: the dust a base-asset commission leaves after a close is not an open position: unguarded, not closable, not counted", async () => {
    const venue = await fakeBinance((s) => t.price[s], { futures: false, buyCommissionIn: "base" });
    try {
      const engine = await t.env.start(testnetSettings(venue.url, { MAX_OPEN_POSITIONS: "1" }));
      await t.env.quote("BTCUSDT", 30_000);
      // 0.00123 bought, 0.00000123 BTC paid in commission: 0.00122877 held; the step is 0.00001.
      expect(
        (await decided("tn-dust", { quantity: 0.00123, stop_loss: 29_000, take_profit: 31_000 })).event,
      ).toBe("filled");
      expect((await decided("tn-dust-close", { action: "close" })).event).toBe("filled");
      expect(venue.exchange?.orders.at(-1)).toMatchObject({ side: "SELL", origQty: "0.00122" });
      const [row] = (await t.env.db.pool.query("SELECT quantity FROM engine_positions")).rows;
      expect(row.quantity).toBeCloseTo(0.00000877, 12);
      // Nothing left to guard: the OCO is gone from the exchange and the books.
      await waitFor("protection cleared", () => engine.cap.find("protection cleared").length > 0, 5_000);
      expect(engine.cap.find("protection cleared")).toHaveLength(1);
      expect((await t.env.db.pool.query("SELECT count(*)::int AS n FROM engine_protections")).rows[0].n).toBe(
        0,
      );
      expect(venue.exchange?.orders.filter((o) => o.orderListId !== -1 && o.status === "NEW")).toEqual([]);
      // A CLOSE of the dust is refused as such, not sent to fail at the exchange.
      expect(await decided("tn-dust-close-2", { action: "close" })).toMatchObject({
        event: "rejected",
        rejection_reason:
          "no_position: only dust is left on BTCUSDT (0.00000877, under what the exchange trades)",
      });
      // The dust does not hold the one open position MAX_OPEN_POSITIONS allows.
      t.price.ETHUSDT = "2000";
      await t.env.quote("ETHUSDT", 2_000);
      expect((await decided("tn-dust-eth", { symbol: "ETHUSDT", quantity: 0.01 })).event).toBe("filled");
      expect(await metricAt(engine.url, "tradewire_engine_open_positions")).toBe(1);
    } finally {
      await venue.close();
    }
  });

  it("spot: a commission paid in BNB is priced at the live BNB quote, else at the exchange's last price; with neither it is said at warn, not added up as USDT", async () => {
    t.price.BNBUSDT = "610";
    const venue = await fakeBinance((s) => t.price[s], { futures: false, buyCommissionIn: "BNB" });
    const commission = (i: number) => Number(venue.exchange?.orders[i]?.fills?.[0]?.commission);
    const feeOf = (e: OrderEvent) => Number(e.event === "filled" && e.fee);
    try {
      const engine = await t.env.start(testnetSettings(venue.url));
      await t.env.quote("BTCUSDT", 30_000);
      // No BNBUSDT quote in the feed, and the exchange's ticker down (the first try and 3 retries).
      const down = { kind: 503, path: "/api/v3/ticker/price" } as const;
      venue.fail(down, down, down, down);
      const unpriced = await decided("tn-bnb-1", { quantity: 0.01 });
      expect(venue.exchange?.orders[0]?.fills?.[0]).toMatchObject({ commissionAsset: "BNB" });
      expect(unpriced).toMatchObject({ event: "filled", fee: "0" });
      expect(
        engine.cap.find("the exchange's last price of a commission asset could not be read")[0],
      ).toMatchObject({
        level: "warn",
        pair: "BNBUSDT",
      });
      expect(
        engine.cap.find("commission paid in another asset has no price: not in the fee or the PnL")[0],
      ).toMatchObject({ level: "warn", asset: "BNB", pair: "BNBUSDT" });

      // The ticker answers, the feed still has no quote: the exchange's last price.
      const lastPriced = await decided("tn-bnb-2", { quantity: 0.01 });
      expect(commission(1)).toBeGreaterThan(0);
      expect(feeOf(lastPriced)).toBeCloseTo(commission(1) * 610, 7);
      expect(
        engine.cap.find("commission in another asset priced at the exchange's last price (no live quote)")[0],
      ).toMatchObject({ level: "info", pair: "BNBUSDT", price: "610" });

      // One BNBUSDT quote (the BTCUSDT ticker keeps running): the live mid wins.
      t.env.bus.publish(
        subjects.marketData("BNBUSDT", "bookTicker"),
        MarketData,
        bookTicker("BNBUSDT", "600.00", "600.01"),
      );
      await waitFor("BNBUSDT quote", () => engine.prices.get("BNBUSDT") !== undefined);
      const priced = await decided("tn-bnb-3", { quantity: 0.01 });
      expect(feeOf(priced)).toBeCloseTo(commission(2) * 600.005, 7);
      // Nothing was taken from what was bought.
      expect((await t.env.db.pool.query("SELECT quantity FROM engine_positions")).rows).toEqual([
        { quantity: 0.03 },
      ]);
    } finally {
      await venue.close();
    }
  });

  it("sends a LIMIT IOC/FOK as such: filled at the market within the limit, or expired with nothing done", async () => {
    await testnet();
    await t.env.quote("BTCUSDT", 30_000);
    const ioc = await decided("tn-ioc", { order_type: "limit", price: 30_100, time_in_force: "ioc" });
    expect(t.fake.exchange?.orders[0]).toMatchObject({
      clientOrderId: clientOrderIdFor("tn-ioc"),
      type: "LIMIT",
      timeInForce: "IOC",
      price: "30100",
      status: "FILLED",
    });
    // At the market's 30,010.50, not at the limit.
    expect(ioc).toMatchObject({ event: "filled", type: "LIMIT", avg_price: "30010.5", price: "30010.5" });

    const fok = await decided("tn-fok", { order_type: "LIMIT", price: 29_000, time_in_force: "FOK" });
    expect(t.fake.exchange?.orders[1]).toMatchObject({
      type: "LIMIT",
      timeInForce: "FOK",
      status: "EXPIRED",
    });
    expect(fok).toMatchObject({
      event: "rejected",
      rejection_source: "exchange",
      rejection_reason: expect.stringMatching(/^exchange_expired: nothing executed/),
    });

    expect(t.fake.exchange?.orders).toHaveLength(2);
    // Only the IOC fill moved the position.
    expect((await t.env.db.pool.query("SELECT quantity FROM engine_positions")).rows).toEqual([
      { quantity: Number(t.fake.exchange?.orders[0]?.executedQty) },
    ]);
  });

  it("an IOC the book fills in part: partial_fill then canceled for the rest; its row keeps what was ordered and ends CANCELED, its fill what executed", async () => {
    const engine = await testnet();
    await t.env.quote("BTCUSDT", 30_000);
    // The book holds 0.004 at the price: the rest of an order of 0.01 expires on arrival.
    t.fake.exchange?.bookDepth.set("BTCUSDT", 0.004);
    await t.env.signal("tn-thin", {
      order_type: "LIMIT",
      price: 30_100,
      time_in_force: "IOC",
      quantity: 0.01,
    });
    const [canceled] = await t.env.waitEvent("tn-thin", "canceled");
    expect((await t.env.eventsOf("tn-thin")).map((e) => e.event)).toEqual([
      "placed",
      "partial_fill",
      "canceled",
    ]);
    expect(Number(canceled?.quantity)).toBe(0.01);
    expect(canceled).toMatchObject({ reason: expect.stringMatching(/^expired: 0\.004 of 0\.010* executed/) });
    expect(t.fake.exchange?.orders[0]).toMatchObject({ status: "EXPIRED", executedQty: "0.004" });
    const row = await t.env.db.pool.query(
      `SELECT o.quantity::float8, o.status, (SELECT sum(f.quantity)::float8 FROM engine_fills f WHERE f.order_id = o.order_id) AS executed
       FROM engine_orders o WHERE o.signal_id = 'tn-thin'`,
    );
    expect(row.rows).toEqual([{ quantity: 0.01, status: "CANCELED", executed: 0.004 }]);
    // Listed as what it is: not among the FILLED orders.
    const listed = async (status: string) =>
      ((await (await fetch(`${engine.url}/orders?status=${status}`)).json()) as { orders: unknown[] }).orders;
    expect(await listed("FILLED")).toEqual([]);
    expect(await listed("CANCELED")).toMatchObject([{ signal_id: "tn-thin", status: "CANCELED" }]);
    await waitFor("position", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0.004);
    // Counted as the bus tells it: not among the filled orders either.
    const metric = await metricsAt(engine.url);
    const counted = (status: string) => metric("tradewire_engine_orders_total", { status });
    expect(["placed", "partial_fill", "canceled", "filled"].map(counted)).toEqual([1, 1, 1, undefined]);
  });

  it("futures: a LIMIT FOK entry and IOC CLOSEs go as LIMIT orders, the closes reduce-only; one the mark is beyond changes nothing", async () => {
    const venue = await fakeBinance((s) => t.price[s]);
    try {
      await t.env.start(testnetSettings(venue.url, { BINANCE_MARKET: "futures" }));
      await t.env.quote("BTCUSDT", 30_000);
      const position = () => venue.futures?.positions.get("BTCUSDT")?.amt;
      const closeAt = (price: number) => ({
        action: "close" as const,
        order_type: "limit" as const,
        price,
        time_in_force: "ioc" as const,
      });
      const entry = {
        action: "sell" as const,
        quantity: 0.01,
        order_type: "limit" as const,
        price: 29_900,
        time_in_force: "fok" as const,
      };
      expect((await decided("tf-fok", entry)).event).toBe("filled");
      expect(venue.futures?.orders[0]).toMatchObject({
        type: "LIMIT",
        limit: { price: "29900", timeInForce: "FOK" },
        reduceOnly: false,
        status: "FILLED",
      });
      expect(position()).toBe(-0.01);

      expect(await decided("tf-far", closeAt(29_000))).toMatchObject({
        event: "rejected",
        rejection_reason: expect.stringMatching(/^exchange_expired/),
      });
      expect(venue.futures?.orders[1]).toMatchObject({ side: "BUY", reduceOnly: true, status: "EXPIRED" });
      expect(position()).toBe(-0.01);

      expect((await decided("tf-close", closeAt(30_100))).event).toBe("filled");
      expect(venue.futures?.orders[2]).toMatchObject({ type: "LIMIT", reduceOnly: true, status: "FILLED" });
      expect(position()).toBe(0);
    } finally {
      await venue.close();
    }
  });

  it("F31 a submit whose response was lost is found by client id on retry: one order, one fill", async () => {
    const engine = await testnet();
    await t.env.quote("BTCUSDT", 30_000);
    // The order is placed, then the connection drops before the answer arrives.
    t.fake.fail({ kind: "drop_after", path: "/api/v3/order", method: "POST" });
    await t.env.signal("tn-lost");
    await waitFor(
      "filled after retry",
      async () => (await t.env.orderEvents()).some((e) => e.event === "filled"),
      15_000,
    );
    expect(t.fake.exchange?.orders).toHaveLength(1);
    expect(
      engine.cap.find("order found by client id after a failed submit; adopted, not resent"),
    ).toHaveLength(1);
    const filled = (await t.env.orderEvents()).filter((e) => e.event === "filled");
    expect(filled).toHaveLength(1);
  });

  it("F31 a signal resumed after its order went out records that order, though the kill switch went on meanwhile", async () => {
    const engine = await testnet();
    await t.env.quote("BTCUSDT", 30_000);
    // The order fills on the exchange; storing the fill fails once (the database gone for a moment).
    await refuseOrderRowsOf("went-out", 1);
    await t.env.signal("went-out", { quantity: 0.01 });
    await waitFor(
      "first attempt failed",
      () => engine.cap.find("deciding a message failed; it will be redelivered").length > 0,
      10_000,
    );
    // Before it is redelivered, an operator turns the kill switch on: deciding it again would reject it.
    await fetch(`${engine.url}/kill-switch`, {
      method: "POST",
      body: JSON.stringify({ enabled: true, reason: "incident" }),
    });
    await waitFor(
      "recorded on redelivery",
      async () => (await t.env.orderEvents()).some((e) => e.event === "filled" && e.signal_id === "went-out"),
      10_000,
    );
    expect((await t.env.orderEvents()).filter((e) => e.event === "rejected")).toEqual([]);
    expect(t.fake.exchange?.orders.filter((o) => o.type === "MARKET")).toHaveLength(1);
    const held = t.fake.exchange?.balances.get("BTC") ?? 0;
    await waitFor("position recorded", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === held);
    const view = (await (await fetch(`${engine.url}/signals/went-out`)).json()) as {
      status: string;
      events: { step: string; detail: string | null }[];
    };
    expect(view.status).toBe("FILLED");
    expect(view.events.find((e) => e.step === "resumed")?.detail).toMatch(
      /reached the exchange: the decision sent before stands/,
    );
  });

  it("a local clock 20 s behind Binance's (-1021) is measured and corrected: signed calls go through, one order", async () => {
    t.fake.setClockOffset(20_000);
    const engine = await testnet();
    await t.env.quote("BTCUSDT", 30_000);
    expect((await decided("tn-clock", { quantity: 0.01 })).event).toBe("filled");
    const corrected = engine.cap.find(
      "local clock differs from Binance's: signed timestamps corrected by the offset",
    );
    expect(corrected.length).toBeGreaterThanOrEqual(1);
    expect(Math.abs(Number(corrected[0]?.offsetMs) - 20_000)).toBeLessThan(1_000);
    expect(t.fake.exchange?.orders).toHaveLength(1);
    expect(t.fake.requests.some((r) => r.status === 400 && r.path !== "/api/v3/time")).toBe(true);
  });

  it("F31 spot: an order whose answer was lost, and that lookups miss for a while, is sent again only after ORDER_RESEND_AFTER_MS: one order", async () => {
    // Binance spot refuses a reused client id only while the first order is open: a filled MARKET
    // order an early lookup missed would be bought twice if sent again at once.
    const venue = await fakeBinance((s) => t.price[s], { futures: false, lookupLagMs: 2_500 });
    try {
      const engine = await t.env.start(testnetSettings(venue.url, { ORDER_RESEND_AFTER_MS: "5000" }));
      await t.env.quote("BTCUSDT", 30_000);
      venue.fail({ kind: "drop_after", path: "/api/v3/order", method: "POST" });
      expect((await decided("tn-lag", { quantity: 0.01 })).event).toBe("filled");
      expect(venue.exchange?.orders).toHaveLength(1);
      const waited = engine.cap
        .find("deciding a message failed; it will be redelivered")
        .filter((l) => JSON.stringify(l.err).includes("may still be settling"));
      expect(waited.length).toBeGreaterThanOrEqual(1);
      expect(engine.cap.find("order found by client id after a failed submit; adopted, not resent")).toEqual(
        [],
      );
    } finally {
      await venue.close();
    }
  });

  it("F27 says loudly when the venue fills far from the quote the order was sized on", async () => {
    const engine = await testnet();
    // The feed says 30,000 (mainnet), the testnet fills at 36,000.
    t.price = { BTCUSDT: "36000" };
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("tn-far");
    await waitFor(
      "filled",
      async () => (await t.env.orderEvents()).some((e) => e.event === "filled"),
      10_000,
    );
    const line = engine.cap.find(
      "fill price far from the quote used for sizing: do the price feed and the venue match?",
    )[0];
    expect(line).toMatchObject({
      level: "error",
      fillPrice: 36_000,
      quotedPrice: 30_000.01,
      mode: "testnet",
    });
    expect(await metricAt(engine.url, "tradewire_engine_fill_price_mismatch_total")).toBe(1);
  });

  it("maps an exchange rejection to a REJECTED signal with its reason", async () => {
    await testnet();
    t.price = {};
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("tn-bad");
    await waitFor(
      "rejected",
      async () => (await t.env.orderEvents()).some((e) => e.event === "rejected"),
      10_000,
    );
    const rejected = (await t.env.orderEvents()).find((e) => e.event === "rejected");
    expect(rejected).toMatchObject({
      rejection_source: "exchange",
      rejection_reason: expect.stringContaining("-1121"),
    });
  });

  it("F28 a fill whose record failed is left to its resumed decision, not corrected by reconciliation first and then counted twice", async () => {
    const engine = await t.env.start(testnetSettings(t.fake.url, { RECONCILE_INTERVAL_S: "1" }));
    await t.env.quote("BTCUSDT", 30_000);
    // A position the engine holds, so reconciliation compares the symbol.
    await t.env.signal("held-before", { quantity: 0.01 });
    await waitFor(
      "first filled",
      async () =>
        (await t.env.orderEvents()).some((e) => e.event === "filled" && e.signal_id === "held-before"),
      10_000,
    );
    // The next fill executes on the exchange; storing it fails on two deliveries (about 3 s of backoff),
    // while reconciliation runs every second and sees the balance the engine has not recorded.
    await refuseOrderRowsOf("cut-short", 2);
    await t.env.signal("cut-short", { quantity: 0.01 });
    await waitFor(
      "reconciliation left it alone",
      () =>
        engine.cap.find(
          "reconcile: position differs from the exchange while a signal on it is undecided; left to its decision",
        ).length > 0,
      10_000,
    );
    await waitFor(
      "filled on a later delivery",
      async () =>
        (await t.env.orderEvents()).some((e) => e.event === "filled" && e.signal_id === "cut-short"),
      30_000,
    );
    const held = t.fake.exchange?.balances.get("BTC") ?? 0;
    expect(held).toBeGreaterThan(0.019);
    await waitFor("position recorded", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === held);
    // Two market orders, one position: never the exchange's balance plus the fill again.
    expect(t.fake.exchange?.orders.filter((o) => o.type === "MARKET")).toHaveLength(2);
    expect(engine.cap.find("reconcile: position drift corrected to the exchange")).toEqual([]);
  });

  it("an order adopted for its signal starts its strategy's cooldown, as a restart would read it", async () => {
    const engine = await t.env.start(
      testnetSettings(t.fake.url, { RECONCILE_INTERVAL_S: "1", COOLDOWN_SECONDS: "60" }),
    );
    await t.env.quote("BTCUSDT", 30_000);
    const adopted = await orderSentBeforeCrash("undecided-2");
    // Followed once adoption took the engine's lock; the cooldown is read under the same lock.
    await waitFor(
      "adopted and followed",
      () => engine.engine.restingOrders().some((o) => o.clientOrderId === adopted),
      5_000,
    );
    const next = await decided("after-adoption", { quantity: 0.001 });
    expect(next).toMatchObject({
      event: "rejected",
      rejection_reason: expect.stringMatching(/^cooldown_active: \d+ s left for test on BTCUSDT$/),
    });
  });

  it("F28 reconciles with the exchange: adopts its own order, flags a foreign one, corrects position drift", async () => {
    const engine = await t.env.start(testnetSettings(t.fake.url, { RECONCILE_INTERVAL_S: "1" }));
    const ours = await orderSentBeforeCrash("undecided-1");
    t.fake.exchange?.addOpenOrder({
      symbol: "BTCUSDT",
      clientOrderId: "manual-by-operator",
      side: "SELL",
      quantity: "1",
      price: "40000",
    });
    await waitFor("adopted", () => engine.cap.find(ADOPTED).length > 0, 5_000);
    expect(engine.cap.find(ADOPTED)[0]).toMatchObject({
      level: "warn",
      signalId: "undecided-1",
      clientOrderId: ours,
    });
    await waitFor(
      "flagged",
      () => engine.cap.find("reconcile: unknown open order flagged, not touched").length > 0,
      5_000,
    );
    expect(engine.cap.find("reconcile: unknown open order flagged, not touched")[0]).toMatchObject({
      clientOrderId: "manual-by-operator",
      foreign: true,
    });
    const adopted = await t.env.db.pool.query("SELECT status FROM engine_orders WHERE client_order_id = $1", [
      ours,
    ]);
    expect(adopted.rows).toEqual([{ status: "NEW" }]);
    // Adopted, it is followed like the engine's own: its fill is recorded for its signal.
    t.price.BTCUSDT = "28900";
    t.fake.exchange?.trigger("BTCUSDT");
    const adoptedFill = await waitFor(
      "adopted order's fill recorded",
      async () =>
        (await t.env.orderEvents()).find((e) => e.event === "filled" && e.signal_id === "undecided-1"),
      10_000,
    );
    expect(adoptedFill).toMatchObject({ side: "BUY", quantity: "0.01", avg_price: "29000" });
    await waitFor(
      "position of the adopted fill",
      () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0.01,
    );
    t.price.BTCUSDT = "30010.50";

    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("tn-drift");
    await waitFor(
      "filled",
      async () => (await t.env.orderEvents()).some((e) => e.event === "filled" && e.signal_id === "tn-drift"),
      10_000,
    );
    const bought = t.fake.exchange?.balances.get("BTC") ?? 0;
    expect(bought).toBeGreaterThan(0);
    t.fake.exchange?.balances.set("BTC", bought + 0.5);
    await waitFor(
      "drift corrected",
      () => engine.cap.find("reconcile: position drift corrected to the exchange").length > 0,
      5_000,
    );
    expect(engine.cap.find("reconcile: position drift corrected to the exchange")[0]).toMatchObject({
      symbol: "BTCUSDT",
      local: bought,
      exchange: bought + 0.5,
    });
    const body = (await (await fetch(`${engine.url}/positions`)).json()) as {
      positions: { symbol: string; quantity: number }[];
    };
    expect(body.positions.find((p) => p.symbol === "BTCUSDT")?.quantity).toBeCloseTo(bought + 0.5, 8);
    expect(await metricAt(engine.url, "tradewire_engine_reconcile_total", { outcome: "corrected" })).toBe(1);
  });

  it("F28 an order adopted for a signal whose sent decision reduced the position stays a reduce: the kill switch cancels the adopted entry, not it", async () => {
    const engine = await t.env.start(testnetSettings(t.fake.url, { RECONCILE_INTERVAL_S: "1" }));
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("long-first", { quantity: 0.02 });
    await waitFor("long held", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0.02, 10_000);
    // Two signals claimed before a crash, each with its LIMIT on the exchange and never recorded:
    // a SELL sent as a reduce of the long, and a BUY entry.
    const limit = { quantity: "0.01", refPrice: 30_000, notional: 300, timeInForce: "GTC" } as const;
    await orderSentBeforeCrash("reduce-1", "SELL", 31_000, {
      ...limit,
      side: "SELL",
      closing: true,
      limitPrice: "31000",
    });
    await orderSentBeforeCrash("entry-1", "BUY", 29_000, {
      ...limit,
      side: "BUY",
      closing: false,
      limitPrice: "29000",
    });
    await waitFor(
      "both adopted",
      () => engine.cap.find("reconcile: open order adopted for its signal").length === 2,
      5_000,
    );
    const rows = await t.env.db.pool.query(
      "SELECT signal_id, reduce_only FROM engine_orders WHERE signal_id IN ('reduce-1', 'entry-1') ORDER BY signal_id",
    );
    expect(rows.rows).toEqual([
      { signal_id: "entry-1", reduce_only: false },
      { signal_id: "reduce-1", reduce_only: true },
    ]);
    await engine.engine.setKillSwitch(true, "drill", "test");
    const onExchange = (id: string) =>
      t.fake.exchange?.orders.find((o) => o.clientOrderId === clientOrderIdFor(id));
    await waitFor("the entry canceled", () => onExchange("entry-1")?.status === "CANCELED", 5_000);
    expect(onExchange("reduce-1")?.status).toBe("NEW");
  });

  it("refuses live without LIVE_TRADING_CONFIRM=yes, and testnet without keys, naming the variable", () => {
    const base = { DATABASE_URL: "postgres://x" };
    expect(() =>
      parseConfig("trade-engine", ConfigSchema, {
        ...base,
        TRADING_MODE: "live",
        BINANCE_API_KEY: "k",
        BINANCE_API_SECRET: "s",
      }),
    ).toThrow(/LIVE_TRADING_CONFIRM.*set LIVE_TRADING_CONFIRM=yes/);
    expect(() => parseConfig("trade-engine", ConfigSchema, { ...base, TRADING_MODE: "testnet" })).toThrow(
      /BINANCE_API_KEY.*required when TRADING_MODE=testnet/,
    );
    const live = parseConfig("trade-engine", ConfigSchema, {
      ...base,
      TRADING_MODE: "live",
      BINANCE_API_KEY: "k",
      BINANCE_API_SECRET: "s",
      LIVE_TRADING_CONFIRM: "yes",
    });
    expect(live.BINANCE_HTTP_BASE).toBe("https://api.binance.com");
    expect(live.BINANCE_USER_STREAM_URL).toBe("wss://ws-api.binance.com:443/ws-api/v3");
    expect(() =>
      parseConfig("trade-engine", ConfigSchema, {
        ...base,
        TRADING_MODE: "testnet",
        BINANCE_API_KEY: "k",
        BINANCE_API_SECRET: "s",
        BINANCE_USER_STREAM_URL: "https://fstream.binance.com/private/ws",
      }),
    ).toThrow(/BINANCE_USER_STREAM_URL.*must be a ws:\/\/ or wss:\/\/ URL, got "https:\/\/fstream/);
  });
});
