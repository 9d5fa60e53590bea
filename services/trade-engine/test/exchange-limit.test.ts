import { waitFor } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { clientOrderIdFor } from "../src/engine.js";
import { exchangeSuite, metricAt, testnetSettings } from "./harness.js";
import { limitBuy } from "./order-request.js";
import { refuseWrites } from "./refuse-writes.js";

const t = exchangeSuite();

const settings = (extra: Record<string, string> = {}) =>
  testnetSettings(t.fake.url, { ORDER_POLL_MS: "100", ...extra });
const row = async (sql: string, params: unknown[]) => (await t.env.db.pool.query(sql, params)).rows;
const orderRow = (id: string) =>
  row("SELECT status, quantity::text FROM engine_orders WHERE client_order_id = $1", [clientOrderIdFor(id)]);
const signalStatus = async (id: string) =>
  (await row("SELECT status FROM engine_signals WHERE signal_id = $1", [id]))[0]?.status;
const position = async () =>
  Number((await row("SELECT quantity FROM engine_positions WHERE symbol = 'BTCUSDT'", []))[0]?.quantity ?? 0);

describe("GTC LIMIT orders working on the exchange (testnet, fake Binance)", () => {
  it("spot: rests on the exchange, records a partial fill then the rest at the limit, each with its event and position", async () => {
    const svc = await t.env.start(settings());
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("gtc-1", limitBuy(29_000));
    const [placed] = await t.env.waitEvent("gtc-1", "placed");
    const exchangeOrder = t.fake.exchange?.orders.find((o) => o.clientOrderId === clientOrderIdFor("gtc-1"));
    expect(exchangeOrder).toMatchObject({ type: "LIMIT", timeInForce: "GTC", price: "29000", status: "NEW" });
    expect(placed).toMatchObject({
      order_id: String(exchangeOrder?.orderId),
      price: "29000",
      mode: "testnet",
    });
    expect(await signalStatus("gtc-1")).toBe("PLACED");
    expect(svc.engine.restingOrders().map((o) => o.clientOrderId)).toEqual([clientOrderIdFor("gtc-1")]);

    t.fake.exchange?.partialFill(clientOrderIdFor("gtc-1"), "0.004");
    const [partial] = await t.env.waitEvent("gtc-1", "partial_fill");
    expect(partial).toMatchObject({ filled_quantity: "0.004", avg_price: "29000" });
    // The fee the exchange charged, read from the order's trades (a lookup carries none).
    const charged = t.fake.exchange?.orders.find((o) => o.clientOrderId === clientOrderIdFor("gtc-1"))
      ?.fills?.[0];
    expect(Number(partial?.event === "partial_fill" && partial.fee)).toBeCloseTo(
      Number(charged?.commission),
      8,
    );
    expect(Number(charged?.commission)).toBeGreaterThan(0);
    expect(await position()).toBeCloseTo(0.004, 9);
    expect(await orderRow("gtc-1")).toEqual([{ status: "PARTIALLY_FILLED", quantity: "0.01000" }]);

    t.price.BTCUSDT = "28990.00";
    t.fake.exchange?.trigger("BTCUSDT");
    const [filled] = await t.env.waitEvent("gtc-1", "filled");
    // The rest, at the limit (a maker fill), not the whole order again.
    expect(filled).toMatchObject({ filled_quantity: "0.006", avg_price: "29000" });
    expect(await position()).toBeCloseTo(0.01, 9);
    expect(await orderRow("gtc-1")).toEqual([{ status: "FILLED", quantity: "0.01000" }]);
    expect(await signalStatus("gtc-1")).toBe("FILLED");
    expect(await row("SELECT quantity::text, price::text FROM engine_fills ORDER BY id", [])).toEqual([
      { quantity: "0.004", price: "29000" },
      { quantity: "0.006", price: "29000" },
    ]);
    expect(svc.engine.restingOrders()).toEqual([]);
    // One order on the exchange for the signal, whatever the polls saw.
    expect(t.fake.exchange?.orders.filter((o) => o.clientOrderId === clientOrderIdFor("gtc-1"))).toHaveLength(
      1,
    );
  });

  it("spot: DELETE /orders cancels on the exchange; a partly filled order keeps what executed", async () => {
    const svc = await t.env.start(settings());
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("gtc-c", limitBuy(29_000));
    await t.env.signal("gtc-p", limitBuy(28_000));
    await t.env.waitEvent("gtc-c", "placed");
    await t.env.waitEvent("gtc-p", "placed");
    const cancel = (id: string) =>
      fetch(`${svc.url}/orders/${clientOrderIdFor(id)}`, { method: "DELETE" }).then((r) => r.status);

    expect(await cancel("gtc-c")).toBe(200);
    const [canceled] = await t.env.waitEvent("gtc-c", "canceled");
    expect(canceled).toMatchObject({ reason: "canceled_by_operator: DELETE /orders" });
    expect(t.fake.exchange?.orders.find((o) => o.clientOrderId === clientOrderIdFor("gtc-c"))?.status).toBe(
      "CANCELED",
    );
    expect(await orderRow("gtc-c")).toMatchObject([{ status: "CANCELED" }]);
    expect(await signalStatus("gtc-c")).toBe("CANCELED");

    t.fake.exchange?.partialFill(clientOrderIdFor("gtc-p"), "0.003");
    await t.env.waitEvent("gtc-p", "partial_fill");
    expect(await cancel("gtc-p")).toBe(200);
    await t.env.waitEvent("gtc-p", "canceled");
    expect(await orderRow("gtc-p")).toMatchObject([{ status: "CANCELED" }]);
    // It did buy 0.003: the signal is FILLED (in part), the position holds it.
    expect(await signalStatus("gtc-p")).toBe("FILLED");
    expect(await position()).toBeCloseTo(0.003, 9);
    expect(svc.engine.restingOrders()).toEqual([]);
    expect(await cancel("gtc-p")).toBe(404);
  });

  it("spot: a DELETE the exchange carried out but whose record failed answers 502 naming why, and the books reload so the cancel is recorded, not lost", async () => {
    const svc = await t.env.start(settings());
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("gtc-unrecorded", limitBuy(29_000));
    await t.env.waitEvent("gtc-unrecorded", "placed");
    await refuseWrites(t.env.db.pool, {
      table: "engine_orders",
      on: "UPDATE",
      when: "NEW.status = 'CANCELED'",
      times: 1,
    });
    const res = await fetch(`${svc.url}/orders/${clientOrderIdFor("gtc-unrecorded")}`, { method: "DELETE" });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^cancel of .* not confirmed: .*write refused \(engine_orders\)/,
    );
    expect(
      t.fake.exchange?.orders.find((o) => o.clientOrderId === clientOrderIdFor("gtc-unrecorded"))?.status,
    ).toBe("CANCELED");
    await t.env.waitEvent("gtc-unrecorded", "canceled");
    expect(await orderRow("gtc-unrecorded")).toMatchObject([{ status: "CANCELED" }]);
    expect(await signalStatus("gtc-unrecorded")).toBe("CANCELED");
    expect(svc.engine.restingOrders()).toEqual([]);
  });

  it("spot: a cancel that finds the order filled records the fill and says nothing was canceled", async () => {
    // No poll and no user data stream during the test: only the cancel can find out.
    const svc = await t.env.start(settings({ ORDER_POLL_MS: "600000", USER_STREAM: "false" }));
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("gtc-late", limitBuy(29_000));
    await t.env.waitEvent("gtc-late", "placed");
    t.price.BTCUSDT = "28990.00";
    t.fake.exchange?.trigger("BTCUSDT");
    const res = await fetch(`${svc.url}/orders/${clientOrderIdFor("gtc-late")}`, { method: "DELETE" });
    expect(res.status).toBe(404);
    const [filled] = await t.env.waitEvent("gtc-late", "filled");
    expect(filled).toMatchObject({ filled_quantity: "0.01", avg_price: "29000" });
    expect((await t.env.eventsOf("gtc-late")).map((e) => e.event)).toEqual(["placed", "filled"]);
    expect(await orderRow("gtc-late")).toMatchObject([{ status: "FILLED" }]);
  });

  it("spot: a working order the exchange no longer knows (a testnet reset) is counted and said once, not at every poll, until it is found again", async () => {
    const svc = await t.env.start(settings());
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("gtc-gone", limitBuy(29_000));
    await t.env.waitEvent("gtc-gone", "placed");
    const orders = t.fake.exchange?.orders ?? [];
    const at = orders.findIndex((o) => o.clientOrderId === clientOrderIdFor("gtc-gone"));
    const [forgotten] = orders.splice(at, 1);
    const unknown = () => metricAt(svc.url, "tradewire_engine_orders_unknown_to_exchange");
    await waitFor("order counted as unknown", async () => (await unknown()) === 1, 5_000, 50);
    const lookups = () =>
      t.fake.requests.filter((r) => r.method === "GET" && r.path === "/api/v3/order").length;
    const before = lookups();
    // Asked again at every poll (100 ms), said once.
    await waitFor("more lookups", () => lookups() >= before + 3, 5_000, 50);
    const said = svc.cap.find(
      "working exchange order not found on the exchange; still tracked and counted against the limits, asked again at every poll",
    );
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ level: "error", clientOrderId: clientOrderIdFor("gtc-gone") });
    // Still tracked: its notional counts, and nothing was recorded as ended.
    expect(svc.engine.restingOrders().map((o) => o.clientOrderId)).toEqual([clientOrderIdFor("gtc-gone")]);
    expect(await orderRow("gtc-gone")).toEqual([{ status: "NEW", quantity: "0.01000" }]);

    if (forgotten !== undefined) orders.push(forgotten);
    await waitFor("order known again", async () => (await unknown()) === 0, 5_000, 50);
    expect(svc.cap.find("working exchange order found on the exchange again")[0]).toMatchObject({
      clientOrderId: clientOrderIdFor("gtc-gone"),
      status: "NEW",
    });
    t.price.BTCUSDT = "28990.00";
    t.fake.exchange?.trigger("BTCUSDT");
    const [filled] = await t.env.waitEvent("gtc-gone", "filled");
    expect(filled).toMatchObject({ filled_quantity: "0.01", avg_price: "29000" });
  });

  it("spot: a kill-switch cancel that finds the entry unknown is owed: when the order is found again it is canceled, never filled", async () => {
    const svc = await t.env.start(settings());
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("gtc-hidden", limitBuy(29_000));
    await t.env.waitEvent("gtc-hidden", "placed");
    const orders = t.fake.exchange?.orders ?? [];
    const [hidden] = orders.splice(
      orders.findIndex((o) => o.clientOrderId === clientOrderIdFor("gtc-hidden")),
      1,
    );
    await svc.engine.setKillSwitch(true, "drill", "test");
    if (hidden !== undefined) orders.push(hidden);
    const [canceled] = await t.env.waitEvent("gtc-hidden", "canceled");
    expect(canceled).toMatchObject({ reason: "kill_switch_active: drill" });
    expect(hidden?.status).toBe("CANCELED");
    // The market comes to it afterwards: nothing fills.
    t.price.BTCUSDT = "28990.00";
    t.fake.exchange?.trigger("BTCUSDT");
    // No longer followed: no poll records anything of it.
    expect(svc.engine.restingOrders().some((o) => o.req.id === "gtc-hidden")).toBe(false);
    expect((await t.env.eventsOf("gtc-hidden")).map((e) => e.event)).toEqual(["placed", "canceled"]);
  });

  it("spot: one order whose lookup keeps failing does not keep the poll from recording the others' fills", async () => {
    const svc = await t.env.start(settings({ USER_STREAM: "false" }));
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("gtc-stuck", limitBuy(29_000));
    await t.env.waitEvent("gtc-stuck", "placed");
    await t.env.signal("gtc-moving", limitBuy(28_000));
    await t.env.waitEvent("gtc-moving", "placed");
    // Both executed in part; every lookup of the first fails.
    const stuck = { origClientOrderId: clientOrderIdFor("gtc-stuck") };
    for (let i = 0; i < 200; i++)
      t.fake.fail({ kind: 400, code: -1100, path: "/api/v3/order", method: "GET", query: stuck });
    t.fake.exchange?.partialFill(clientOrderIdFor("gtc-stuck"), "0.002");
    t.fake.exchange?.partialFill(clientOrderIdFor("gtc-moving"), "0.003");
    const [moved] = await t.env.waitEvent("gtc-moving", "partial_fill");
    expect(moved).toMatchObject({ filled_quantity: "0.003" });
    expect(await t.env.eventsOf("gtc-stuck")).toHaveLength(1);
    expect(svc.cap.find("exchange order poll failed").length).toBeGreaterThan(0);
  });

  it("spot: an entry working on the exchange counts toward the risk limits, and the kill switch cancels it there", async () => {
    const svc = await t.env.start(settings({ MAX_NOTIONAL_PER_SYMBOL: "500" }));
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("gtc-k", limitBuy(29_000));
    await t.env.waitEvent("gtc-k", "placed");
    // 290 working + 300 more would pass the 500 limit.
    await t.env.signal("mkt-over", { quantity: 0.01 });
    const [over] = await t.env.waitEvent("mkt-over", "rejected");
    expect(over?.event === "rejected" && over.rejection_reason).toMatch(/^symbol_notional_above_maximum/);

    const res = await fetch(`${svc.url}/kill-switch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ enabled: true, reason: "drill" }),
    });
    expect(res.status).toBe(200);
    const [canceled] = await t.env.waitEvent("gtc-k", "canceled");
    expect(canceled).toMatchObject({ reason: "kill_switch_active: drill" });
    expect(t.fake.exchange?.orders.find((o) => o.clientOrderId === clientOrderIdFor("gtc-k"))?.status).toBe(
      "CANCELED",
    );
  });

  it("spot: a kill-switch cancel the exchange refuses is owed, and asked again at the next polls until it goes through", async () => {
    const svc = await t.env.start(settings({ ORDER_POLL_MS: "300" }));
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("gtc-owed", limitBuy(29_000));
    await t.env.waitEvent("gtc-owed", "placed");
    t.fake.fail(
      { kind: 503, path: "/api/v3/order", method: "DELETE" },
      { kind: 503, path: "/api/v3/order", method: "DELETE" },
    );
    const res = await fetch(`${svc.url}/kill-switch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ enabled: true, reason: "drill" }),
    });
    // The switch is on whatever the exchange says; the entry's cancel is owed, loudly.
    expect(res.status).toBe(200);
    expect(
      svc.cap.find(
        "cancel of a working exchange order failed; asked again at every poll until it goes through",
      )[0],
    ).toMatchObject({
      level: "error",
      clientOrderId: clientOrderIdFor("gtc-owed"),
      reason: "kill_switch_active: drill",
    });
    const owed = () => metricAt(svc.url, "tradewire_engine_cancels_owed");
    expect(await owed()).toBe(1);
    const [canceled] = await t.env.waitEvent("gtc-owed", "canceled");
    expect(canceled).toMatchObject({ reason: "kill_switch_active: drill" });
    expect(
      t.fake.exchange?.orders.find((o) => o.clientOrderId === clientOrderIdFor("gtc-owed"))?.status,
    ).toBe("CANCELED");
    expect(svc.engine.restingOrders()).toEqual([]);
    expect(await owed()).toBe(0);
  });

  it("spot: a kill-switch cancel still owed when the engine stopped is asked for again after it starts", async () => {
    // No poll in the first run: the refused cancel stays owed when it stops.
    const first = await t.env.start(settings({ ORDER_POLL_MS: "600000" }));
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("gtc-owed-2", limitBuy(29_000));
    await t.env.waitEvent("gtc-owed-2", "placed");
    t.fake.fail({ kind: 503, path: "/api/v3/order", method: "DELETE" });
    await first.engine.setKillSwitch(true, "drill", "test");
    expect(
      t.fake.exchange?.orders.find((o) => o.clientOrderId === clientOrderIdFor("gtc-owed-2"))?.status,
    ).toBe("NEW");
    await first.stop("restart drill");

    await t.env.start(settings());
    const [canceled] = await t.env.waitEvent("gtc-owed-2", "canceled");
    expect(canceled).toMatchObject({ reason: "kill_switch_active: drill" });
    expect(
      t.fake.exchange?.orders.find((o) => o.clientOrderId === clientOrderIdFor("gtc-owed-2"))?.status,
    ).toBe("CANCELED");
  });

  it("spot: what executed while the engine was down is recorded when it starts again, on the same order", async () => {
    const first = await t.env.start(settings());
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("gtc-r", limitBuy(29_000));
    await t.env.waitEvent("gtc-r", "placed");
    await first.stop("restart drill");
    t.price.BTCUSDT = "28950.00";
    t.fake.exchange?.trigger("BTCUSDT");

    const second = await t.env.start(settings());
    const [filled] = await t.env.waitEvent("gtc-r", "filled");
    expect(filled).toMatchObject({ filled_quantity: "0.01", avg_price: "29000" });
    expect(await position()).toBeCloseTo(0.01, 9);
    expect(second.engine.restingOrders()).toEqual([]);
    expect(t.fake.exchange?.orders.filter((o) => o.clientOrderId === clientOrderIdFor("gtc-r"))).toHaveLength(
      1,
    );
  });

  it("spot: each partial fill of a working order is its own event, however many there are", async () => {
    await t.env.start(settings());
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("gtc-pp", limitBuy(29_000));
    await t.env.waitEvent("gtc-pp", "placed");
    t.fake.exchange?.partialFill(clientOrderIdFor("gtc-pp"), "0.003");
    await t.env.waitEvent("gtc-pp", "partial_fill");
    t.fake.exchange?.partialFill(clientOrderIdFor("gtc-pp"), "0.003");
    const partials = await t.env.waitEvent("gtc-pp", "partial_fill", 2);
    expect(partials.map((e) => e.event === "partial_fill" && e.filled_quantity)).toEqual(["0.003", "0.003"]);
    expect(new Set(partials.map((e) => e.event_id)).size).toBe(2);
    expect(await position()).toBeCloseTo(0.006, 9);
  });

  it("F28 spot: reconciliation leaves a position alone while an order works on it, so a fill the poll has not recorded yet is not counted twice", async () => {
    const svc = await t.env.start(
      settings({ ORDER_POLL_MS: "600000", USER_STREAM: "false", RECONCILE_INTERVAL_S: "1" }),
    );
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("held", { quantity: 0.01 });
    await t.env.waitEvent("held", "filled");
    await t.env.signal("gtc-rec", limitBuy(29_000));
    await t.env.waitEvent("gtc-rec", "placed");
    // Executed on the exchange, not yet seen by the engine (no poll, no stream).
    t.fake.exchange?.partialFill(clientOrderIdFor("gtc-rec"), "0.004");
    const LEFT =
      "reconcile: position differs from the exchange while orders work on it; left to the order poll";
    await waitFor("drift left alone", async () => svc.cap.find(LEFT).length > 0, 5_000);
    expect(svc.cap.find(LEFT)[0]).toMatchObject({ level: "warn", symbol: "BTCUSDT" });
    expect(await position()).toBeCloseTo(0.01, 9);
    // The cancel looks the order up and records what it executed: once.
    const res = await fetch(`${svc.url}/orders/${clientOrderIdFor("gtc-rec")}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    await t.env.waitEvent("gtc-rec", "canceled");
    expect(await position()).toBeCloseTo(0.014, 9);
  });

  it("futures: a GTC entry rests, then fills at its limit with the fee from the order's trades", async () => {
    await t.env.start(settings({ BINANCE_MARKET: "futures" }));
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("gtc-f", { action: "sell", order_type: "LIMIT", price: 31_000, quantity: 0.01 });
    await t.env.waitEvent("gtc-f", "placed");
    expect(t.fake.futures?.orders.find((o) => o.clientOrderId === clientOrderIdFor("gtc-f"))).toMatchObject({
      type: "LIMIT",
      status: "NEW",
    });
    t.price.BTCUSDT = "31005.00";
    t.fake.futures?.trigger("BTCUSDT");
    const [filled] = await t.env.waitEvent("gtc-f", "filled");
    expect(filled).toMatchObject({ side: "SELL", filled_quantity: "0.01", avg_price: "31000" });
    expect(Number(filled?.event === "filled" && filled.fee)).toBeGreaterThan(0);
    expect(t.fake.futures?.positions.get("BTCUSDT")?.amt).toBe(-0.01);
    expect(await position()).toBeCloseTo(-0.01, 9);
  });
});
