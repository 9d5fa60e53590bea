import { type FakeAlgoOrder, waitFor } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { clientOrderIdFor } from "../src/engine.js";
import { insertClaim } from "./claim-row.js";
import { exchangeSuite, metricAt, metricsAt } from "./harness.js";
import { protectionFixtures } from "./protection-fixtures.js";
import { refuseWrites } from "./refuse-writes.js";

const t = exchangeSuite();
const { start, event, protectionRow, restsOnExchange, cleared } = protectionFixtures(t);

/** A spot long of 0.01 guarded by an OCO (29,500 / 31,000), then `<id>-close`: a GTC close at 30,800 working. */
async function guardedLongWithWorkingClose(id: string) {
  const engine = await start("spot", { ORDER_POLL_MS: "100" });
  await t.env.quote("BTCUSDT", 30_000);
  await t.env.signal(`${id}-1`, { quantity: 0.01, stop_loss: 29_500, take_profit: 31_000 });
  await waitFor("guarded", restsOnExchange, 10_000);
  await t.env.signal(`${id}-close`, { action: "close", order_type: "LIMIT", price: 30_800 });
  await waitFor("close working", event(`${id}-close`, "placed"), 10_000);
  return engine;
}

/** A reduce-only STOP_MARKET resting on the fake Algo Service, as any client could have placed it. */
function stopLeg(symbol: string, clientAlgoId: string): Omit<FakeAlgoOrder, "algoId"> {
  return {
    clientAlgoId,
    symbol,
    side: "SELL" as const,
    orderType: "STOP_MARKET",
    quantity: "0.01",
    triggerPrice: "25000",
    workingType: "MARK_PRICE",
    reduceOnly: true,
    algoStatus: "NEW",
    actualOrderId: "",
    actualPrice: "0",
    createTime: Date.now(),
    updateTime: Date.now(),
    triggerTime: 0,
  };
}

/** A futures long of 0.01 guarded on the exchange (stop 29,000, take-profit 31,000): its stop leg. */
async function futuresLongWithStop(id: string) {
  await t.env.signal(id, { quantity: 0.01, stop_loss: 29_000, take_profit: 31_000 });
  await waitFor("protection stored", restsOnExchange, 10_000);
  const stop = t.fake.futures?.algoOrders.find((o) => o.orderType === "STOP_MARKET");
  if (stop === undefined) throw new Error("no stop leg");
  return stop;
}

const PLACED_AGAIN =
  "protection back on the exchange: levels it could hold had no orders there (a failed placement, a crash before it)";
const HALF_PROTECTION = "exchange-side protection gone without executing; the engine watches the levels";

describe("exchange-side stop-loss / take-profit (F25 on testnet)", () => {
  it("spot: an OCO guards the long; its executed stop is recorded as the exit, not traded again", async () => {
    const engine = await start("spot");
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("oco-1", { quantity: 0.01, stop_loss: 29_500, take_profit: 31_000 });
    await waitFor("entry filled", event("oco-1", "filled"), 10_000);
    await waitFor("protection stored", restsOnExchange, 5_000);
    const list = clientOrderIdFor("oco-1:protect:0.01");
    expect((await protectionRow())?.venue).toEqual({
      kind: "oco",
      listClientOrderId: list,
      stop: `${list}-sl`,
      takeProfit: `${list}-tp`,
    });
    // The gauges follow once the placement's answer is stored.
    await waitFor("protection set", () => engine.cap.find("protection set").length > 0);
    const metric = await metricsAt(engine.url);
    expect(metric("tradewire_engine_protections", { held_by: "exchange" })).toBe(1);
    expect(metric("tradewire_engine_protections", { held_by: "engine" })).toBe(0);
    const legs = t.fake.exchange?.orders.filter((o) => o.orderListId !== -1) ?? [];
    expect(legs.map((o) => [o.type, o.side, o.status, o.origQty])).toEqual([
      ["LIMIT_MAKER", "SELL", "NEW", "0.01"],
      ["STOP_LOSS", "SELL", "NEW", "0.01"],
    ]);
    // The engine's own feed crossing the stop triggers nothing: the exchange owns the levels.
    await t.env.quote("BTCUSDT", 29_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(engine.cap.find("PROTECTION_TRIGGERED")).toEqual([]);

    // The exchange's market falls through the stop: its leg executes there.
    t.price.BTCUSDT = "29400";
    expect(t.fake.exchange?.trigger("BTCUSDT").map((o) => o.type)).toEqual(["STOP_LOSS"]);
    const exit = await waitFor("exit recorded", event("oco-1:stop_loss", "filled"), 10_000);
    expect(exit).toMatchObject({
      type: "OCO",
      side: "SELL",
      avg_price: "29400",
      client_order_id: `${list}-sl`,
    });
    // The event can arrive before the books in memory have taken the exit (it goes out once stored).
    await waitFor("flat in memory", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0);
    await cleared();
    // Exactly one market order (the entry): the exit was the exchange's, not a second sell.
    expect(t.fake.exchange?.orders.filter((o) => o.type === "MARKET")).toHaveLength(1);
    const view = (await (await fetch(`${engine.url}/signals/oco-1:stop_loss`)).json()) as {
      status: string;
      events: { step: string; detail: string }[];
    };
    expect(view.status).toBe("FILLED");
    expect(view.events[0]?.step).toBe("exchange_protection");
    const exitRow = await t.env.db.pool.query(
      "SELECT type FROM engine_orders WHERE signal_id = 'oco-1:stop_loss'",
    );
    expect(exitRow.rows).toEqual([{ type: "OCO" }]);
  });

  it("F25 a fill whose protection cannot be stored after it still has its levels: the fill stores them, no order is sent untracked, and the engine exits at the stop", async () => {
    const engine = await start("spot");
    // Every write of engine_protections but the fill's own statement fails (the database gone
    // between the two, or a crash): before, the position was left with no stop anywhere.
    await refuseWrites(t.env.db.pool, {
      table: "engine_protections",
      on: "INSERT OR UPDATE",
      when: "current_query() NOT LIKE '%engine_fills%'",
    });
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("naked-1", { quantity: 0.01, stop_loss: 29_500, take_profit: 31_000 });
    await waitFor("entry filled", event("naked-1", "filled"), 10_000);
    await waitFor(
      "placement refused",
      () =>
        engine.cap.find("exchange-side protection failed; the engine watches the levels instead").length > 0,
    );
    const { rows } = await t.env.db.pool.query(
      "SELECT signal_id, direction, stop_loss, take_profit, venue FROM engine_protections",
    );
    expect(rows).toEqual([
      { signal_id: "naked-1", direction: 1, stop_loss: 29_500, take_profit: 31_000, venue: null },
    ]);
    // Its ids could not be stored, so nothing was sent: no OCO rests untracked.
    expect(t.fake.exchange?.orders.filter((o) => o.orderListId !== -1)).toEqual([]);
    // The engine holds the levels (reloaded from the row): the stop crossed, it sells.
    await t.env.quote("BTCUSDT", 29_400);
    await waitFor("stop exit filled", event("naked-1:stop_loss", "filled"), 10_000);
    await waitFor("flat", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0);
  });

  it("F25 an OCO whose answer is lost after it was placed is found and followed, not left resting untracked", async () => {
    const engine = await start("spot");
    await t.env.quote("BTCUSDT", 30_000);
    t.fake.fail({ kind: "drop_after", path: "/api/v3/orderList/oco", method: "POST" });
    await t.env.signal("lost-oco", { quantity: 0.01, stop_loss: 29_500, take_profit: 31_000 });
    await waitFor("entry filled", event("lost-oco", "filled"), 10_000);
    await waitFor(
      "followed",
      () =>
        engine.cap.find("exchange-side protection failed, yet its orders are on the exchange: followed")
          .length > 0,
    );
    const list = clientOrderIdFor("lost-oco:protect:0.01");
    await waitFor(
      "stored with its orders",
      async () => (await protectionRow())?.venue?.listClientOrderId === list && (await restsOnExchange()),
    );
    expect(t.fake.exchange?.orders.filter((o) => o.orderListId !== -1).map((o) => o.status)).toEqual([
      "NEW",
      "NEW",
    ]);
    // The exchange owns the levels: its stop executes and is recorded as the exit.
    t.price.BTCUSDT = "29400";
    t.fake.exchange?.trigger("BTCUSDT");
    await waitFor("exit recorded", event("lost-oco:stop_loss", "filled"), 10_000);
    expect(engine.cap.find("PROTECTION_TRIGGERED")).toEqual([]);
  });

  it("F25 an exit the exchange executed whose record fails is recorded at the next poll, not lost", async () => {
    const engine = await start("spot");
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("exit-retry", { quantity: 0.01, stop_loss: 29_500, take_profit: 31_000 });
    await waitFor("guarded", restsOnExchange, 10_000);
    // The first attempt to store the exit fails (the database gone for a moment).
    await refuseWrites(t.env.db.pool, {
      table: "engine_orders",
      on: "INSERT",
      when: "NEW.signal_id LIKE '%:stop_loss'",
      times: 1,
    });
    t.price.BTCUSDT = "29400";
    t.fake.exchange?.trigger("BTCUSDT");
    await waitFor("exit recorded", event("exit-retry:stop_loss", "filled"), 10_000);
    expect(
      engine.cap.find("exchange protection poll failed for a symbol; asked again at the next poll").length,
    ).toBeGreaterThanOrEqual(1);
    await waitFor("flat", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0);
    await cleared();
    // Recorded from the exchange, not sold again by the engine.
    expect(t.fake.exchange?.orders.filter((o) => o.type === "MARKET")).toHaveLength(1);
  });

  it("F28 an exit the exchange executed unseen (no stream, poll far off) is recorded by reconciliation, not corrected as drift", async () => {
    const engine = await start("spot", {
      RECONCILE_INTERVAL_S: "1",
      PROTECTION_POLL_S: "600",
      USER_STREAM: "false",
    });
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("unseen", { quantity: 0.01, stop_loss: 29_500, take_profit: 31_000 });
    await waitFor("guarded", restsOnExchange, 10_000);
    t.price.BTCUSDT = "29400";
    t.fake.exchange?.trigger("BTCUSDT");
    const exit = await waitFor("exit recorded", event("unseen:stop_loss", "filled"), 10_000);
    expect(exit).toMatchObject({ type: "OCO", side: "SELL", avg_price: "29400" });
    await waitFor("flat", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0);
    // Corrected to 0 first, the exit recorded later would have opened a phantom short.
    expect(engine.cap.find("reconcile: position drift corrected to the exchange")).toEqual([]);
    await cleared();
  });

  it("F25 levels whose placement on the exchange failed are placed again at a later poll, not left to the engine alone", async () => {
    const engine = await start("spot");
    await t.env.quote("BTCUSDT", 30_000);
    // The exchange refuses the first OCO (a passing filter failure, a maintenance window).
    t.fake.fail({ kind: 400, code: -1013, path: "/api/v3/orderList/oco", method: "POST" });
    await t.env.signal("retry-oco", { quantity: 0.01, stop_loss: 29_500, take_profit: 31_000 });
    await waitFor("entry filled", event("retry-oco", "filled"), 10_000);
    // Its ids are stored before it is sent: the line after it is what says it is placed.
    const placed = await waitFor("placed on a later poll", () => engine.cap.find(PLACED_AGAIN)[0], 10_000);
    expect(placed).toMatchObject({
      symbol: "BTCUSDT",
      entrySignalId: "retry-oco",
      stopLoss: 29_500,
      takeProfit: 31_000,
    });
    expect(await restsOnExchange()).toBe(true);
    expect(
      engine.cap.find("exchange-side protection failed; the engine watches the levels instead"),
    ).toHaveLength(1);
    expect(t.fake.exchange?.orderLists.map((l) => l.listOrderStatus)).toEqual(["EXECUTING"]);
  });

  it("F25 an exit the exchange executed after the engine's own exit of the entry was refused is recorded under its own id, not dropped as a duplicate", async () => {
    const engine = await start("spot");
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("twice", { quantity: 0.01, stop_loss: 29_500, take_profit: 31_000 });
    await waitFor("guarded", restsOnExchange, 10_000);
    // The engine's own stop exit of this entry was decided before (refused by the exchange).
    await insertClaim(t.env.db.pool, {
      id: "twice:stop_loss",
      action: "CLOSE",
      status: "REJECTED",
      reason: "exchange_rejected: -2010",
    });
    t.price.BTCUSDT = "29400";
    t.fake.exchange?.trigger("BTCUSDT");
    const stop = `${clientOrderIdFor("twice:protect:0.01")}-sl`;
    const exit = await waitFor("exit recorded", event(`twice:stop_loss:${stop}`, "filled"), 10_000);
    expect(exit).toMatchObject({ type: "OCO", side: "SELL", client_order_id: stop });
    await waitFor("flat", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0);
    expect(engine.cap.find("exchange-side exit already recorded; not recorded twice")).toEqual([]);
  });

  it("F25 levels stored without exchange orders (a crash before their placement) go on the exchange after a restart", async () => {
    const first = await start("spot");
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("crashed", { quantity: 0.01 });
    await waitFor("entry filled", event("crashed", "filled"), 10_000);
    await first.stop("crash");
    // The fill's statement stored the levels; the process died before their OCO was sent.
    await t.env.db.pool.query(
      `INSERT INTO engine_protections (symbol, signal_id, strategy_id, direction, stop_loss, take_profit)
       VALUES ('BTCUSDT', 'crashed', 'test', 1, 29500, 31000)`,
    );
    const engine = await start("spot");
    await t.env.quote("BTCUSDT", 30_000);
    const placed = await waitFor("placed after the restart", () => engine.cap.find(PLACED_AGAIN)[0], 10_000);
    expect(placed).toMatchObject({ symbol: "BTCUSDT", entrySignalId: "crashed" });
    expect(await restsOnExchange()).toBe(true);
  });

  it("spot: a CLOSE that finds the take-profit filled in part records that part, then sells what is left", async () => {
    // The poll is slow: the CLOSE is what finds the partial fill.
    const engine = await start("spot", { PROTECTION_POLL_S: "60" });
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("oco-pc", { quantity: 0.01, stop_loss: 29_500, take_profit: 31_000 });
    await waitFor("protection stored", restsOnExchange, 10_000);
    const list = clientOrderIdFor("oco-pc:protect:0.01");
    t.fake.exchange?.partialFill(`${list}-tp`, "0.004");
    await t.env.signal("oco-pc-close", { action: "close" });
    const close = await waitFor("close filled", event("oco-pc-close", "filled"), 10_000);
    expect(close).toMatchObject({ side: "SELL", quantity: "0.00600" });
    expect(await event(`oco-pc:take_profit:${list}-tp`, "filled")()).toMatchObject({ quantity: "0.004" });
    await waitFor("flat", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0);
    // Nothing of the levels is left on the exchange.
    expect(t.fake.exchange?.orderLists.map((l) => l.listOrderStatus)).not.toContain("EXECUTING");
  });

  it("spot: a take-profit filled in part (its stop canceled by the exchange) is recorded as part of the exit, and the rest is guarded again", async () => {
    const engine = await start("spot");
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("oco-part", { quantity: 0.01, stop_loss: 29_500, take_profit: 31_000 });
    await waitFor("protection stored", restsOnExchange, 10_000);
    const first = clientOrderIdFor("oco-part:protect:0.01");
    // Part of the book trades against the take-profit: Binance cancels the stop, the list works on.
    t.fake.exchange?.partialFill(`${first}-tp`, "0.004");
    const part = await waitFor(
      "partial exit recorded",
      async () =>
        (await t.env.orderEvents()).find(
          (e) => e.event === "filled" && e.signal_id === `oco-part:take_profit:${first}-tp`,
        ),
      10_000,
    );
    expect(part).toMatchObject({ type: "OCO", side: "SELL", quantity: "0.004", avg_price: "31000" });
    // The rest is guarded by a new OCO for 0.006; the first list is ended.
    const second = clientOrderIdFor("oco-part:protect:0.006");
    await waitFor(
      "rest guarded",
      async () => (await protectionRow())?.venue?.listClientOrderId === second && (await restsOnExchange()),
      10_000,
    );
    expect(engine.engine.snapshot().positions).toMatchObject({ BTCUSDT: { quantity: 0.006 } });
    expect(t.fake.exchange?.orderLists.map((l) => [l.listClientOrderId, l.listOrderStatus])).toEqual([
      [first, "ALL_DONE"],
      [second, "EXECUTING"],
    ]);
    // The market falls through the stop: the new list's stop is the rest of the exit, a second exit of its own.
    t.price.BTCUSDT = "29400";
    expect(t.fake.exchange?.trigger("BTCUSDT").map((o) => o.type)).toEqual(["STOP_LOSS"]);
    await waitFor("stop exit recorded", event("oco-part:stop_loss", "filled"), 10_000);
    await waitFor("flat", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0);
    expect(t.fake.exchange?.locked.get("BTC") ?? 0).toBeCloseTo(0, 8);
  });

  it("spot: a CLOSE cancels the OCO first (it holds the asset), then sells; reconciliation knows the legs", async () => {
    const engine = await start("spot", { RECONCILE_INTERVAL_S: "1" });
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("oco-2", { quantity: 0.01, stop_loss: 29_500, take_profit: 31_000 });
    await waitFor("protection stored", restsOnExchange, 10_000);
    await waitFor("reconciled with the legs open", () =>
      engine.cap.find("reconciliation done").some((l) => l.protective === 2),
    );
    expect(engine.cap.find("reconcile: unknown open order flagged, not touched")).toEqual([]);

    await t.env.signal("oco-2-close", { action: "close" });
    await waitFor("closed", event("oco-2-close", "filled"), 10_000);
    expect(t.fake.exchange?.orderLists.map((l) => l.listOrderStatus)).toEqual(["ALL_DONE"]);
    expect(t.fake.exchange?.orders.filter((o) => o.orderListId !== -1).map((o) => o.status)).toEqual([
      "CANCELED",
      "CANCELED",
    ]);
    expect(engine.cap.find("exchange-side protection canceled")).toHaveLength(1);
    await cleared();
  });

  it("spot: while a GTC close works, the engine holds the levels; a stop it sees crossed cancels the close first, then sells", async () => {
    const engine = await guardedLongWithWorkingClose("wc");
    // The close holds the asset: the OCO made way for it, and the engine watches the levels.
    expect((await protectionRow())?.venue).toBeNull();
    expect(t.fake.exchange?.locked.get("BTC")).toBeCloseTo(0.01, 9);

    // The market falls through the stop: the engine's exit cancels the working close, then sells.
    t.price.BTCUSDT = "29400";
    await t.env.quote("BTCUSDT", 29_400);
    const exit = await waitFor("stop exit", event("wc-1:stop_loss", "filled"), 10_000);
    expect(exit).toMatchObject({ side: "SELL", avg_price: "29400" });
    expect(Number(exit.event === "filled" && exit.filled_quantity)).toBe(0.01);
    expect(await waitFor("close canceled", event("wc-close", "canceled"), 5_000)).toMatchObject({
      reason: "superseded_by_close: wc-1:stop_loss",
    });
    const close = t.fake.exchange?.orders.find((o) => o.clientOrderId === clientOrderIdFor("wc-close"));
    expect(close?.status).toBe("CANCELED");
    // The event can arrive before the books in memory have taken the exit (it goes out once stored).
    await waitFor("flat in memory", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0);
    expect(engine.engine.restingOrders()).toEqual([]);
    expect(engine.cap.find("protection exit did not close the position; retrying")).toEqual([]);
    // The close is gone with the position: no protection is put back.
    expect(engine.cap.find("protection back on the exchange: the close working on it ended")).toEqual([]);
    expect(t.fake.exchange?.orderLists).toHaveLength(1);
  });

  it("spot: a GTC close partly filled keeps the levels with the engine; canceled, the rest is guarded on the exchange again", async () => {
    const engine = await guardedLongWithWorkingClose("wp");

    t.fake.exchange?.partialFill(clientOrderIdFor("wp-close"), "0.004");
    await waitFor("partial fill", event("wp-close", "partial_fill"), 10_000);
    // No OCO for the 0.006 left while the close holds it (spot would refuse it: the asset is locked).
    const held = engine.cap.find("protection stays with the engine while a close works on the exchange");
    expect(held).toHaveLength(1);
    expect(held[0]?.quantity).toBeCloseTo(0.006, 9);
    expect(engine.cap.find("exchange-side protection failed; the engine watches the levels instead")).toEqual(
      [],
    );
    expect(t.fake.exchange?.orderLists).toHaveLength(1);

    const res = await fetch(`${engine.url}/orders/${clientOrderIdFor("wp-close")}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    await waitFor("guarded again", restsOnExchange, 10_000);
    const again = engine.cap.find("protection back on the exchange: the close working on it ended");
    expect(again[0]).toMatchObject({ stopLoss: 29_500, takeProfit: 31_000 });
    expect(again[0]?.quantity).toBeCloseTo(0.006, 9);
    const lists = t.fake.exchange?.orderLists ?? [];
    expect(lists.map((l) => l.listOrderStatus)).toEqual(["ALL_DONE", "EXECUTING"]);
    const working = t.fake.exchange?.orders.filter((o) => o.orderListId !== -1 && o.status === "NEW") ?? [];
    expect(working.map((o) => o.origQty)).toEqual(["0.006", "0.006"]);
  });

  it("spot: an addition to a guarded long resizes its OCO to the whole position", async () => {
    const engine = await start("spot");
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("add-1", { quantity: 0.01, stop_loss: 29_500, take_profit: 31_000 });
    await waitFor("guarded", restsOnExchange, 10_000);
    await t.env.signal("add-2", { quantity: 0.02 });
    await waitFor("resized", () => engine.cap.find("protection resized").length > 0, 10_000);
    const lists = t.fake.exchange?.orderLists ?? [];
    expect(lists.map((l) => l.listOrderStatus)).toEqual(["ALL_DONE", "EXECUTING"]);
    const working = t.fake.exchange?.orders.filter((o) => o.orderListId !== -1 && o.status === "NEW") ?? [];
    expect(working.map((o) => o.origQty)).toEqual(["0.03", "0.03"]);
    expect(engine.cap.find("protection resized")[0]).toMatchObject({ stopLoss: 29_500, onExchange: true });
  });

  it("spot: a SELL from flat is refused, never sold out of assets on the account the engine did not buy (reconciliation would book them as a long)", async () => {
    await start("spot");
    await t.env.quote("BTCUSDT", 30_000);
    t.fake.exchange?.balances.set("BTC", 1);
    await t.env.signal("short-1", { action: "sell", quantity: 0.01, stop_loss: 30_500 });
    const rejected = await waitFor("rejected", event("short-1", "rejected"), 10_000);
    expect(rejected).toMatchObject({
      rejection_source: "validation",
      rejection_reason: expect.stringMatching(
        /^spot_short_not_allowed: SELL 0\.01000 BTCUSDT is more than the 0 held/,
      ),
    });
    expect(t.fake.exchange?.orders).toEqual([]);
    expect(t.fake.exchange?.balances.get("BTC")).toBe(1);
  });

  it("futures: a short with reduce-only STOP_MARKET / TAKE_PROFIT_MARKET; the take-profit executes, the stop is canceled", async () => {
    const engine = await start("futures");
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("fut-1", {
      action: "sell",
      quantity: 0.01,
      leverage: 3,
      stop_loss: 31_000,
      take_profit: 29_000,
    });
    await waitFor("entry filled", event("fut-1", "filled"), 10_000);
    await waitFor("protection stored", restsOnExchange, 5_000);
    const futures = t.fake.futures;
    expect(futures?.leverage.get("BTCUSDT")).toBe(3);
    expect(futures?.positions.get("BTCUSDT")).toMatchObject({ amt: -0.01 });
    expect(
      futures?.algoOrders.map((o) => [o.orderType, o.side, o.reduceOnly, o.triggerPrice, o.algoStatus]),
    ).toEqual([
      ["STOP_MARKET", "BUY", true, "31000", "NEW"],
      ["TAKE_PROFIT_MARKET", "BUY", true, "29000", "NEW"],
    ]);
    const filled = await event("fut-1", "filled")();
    // The fee comes from the order's trades (USD-M order responses carry none).
    expect(Number(filled?.event === "filled" ? filled.fee : 0)).toBeCloseTo(0.01 * 30_010.5 * 0.0005, 8);

    t.price.BTCUSDT = "28900";
    expect(futures?.trigger("BTCUSDT").map((o) => o.orderType)).toEqual(["TAKE_PROFIT_MARKET"]);
    const exit = await waitFor("exit recorded", event("fut-1:take_profit", "filled"), 10_000);
    expect(exit).toMatchObject({ type: "TAKE_PROFIT_MARKET", side: "BUY", avg_price: "28900" });
    expect(futures?.algoOrders.map((o) => o.algoStatus)).toEqual(["CANCELED", "FINISHED"]);
    // The event can arrive before the books in memory have taken the exit (it goes out once stored).
    await waitFor("flat in memory", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0);
    expect(futures?.positions.get("BTCUSDT")?.amt ?? 0).toBe(0);
  });

  it("futures: a stop leg canceled by hand while the take-profit rests is half a protection: the rest is taken back and the engine watches both levels", async () => {
    const engine = await start("futures");
    await t.env.quote("BTCUSDT", 30_000);
    const stop = await futuresLongWithStop("fut-half");
    const legs = t.fake.futures?.algoOrders ?? [];
    stop.algoStatus = "CANCELED";
    await waitFor("half protection seen", () => engine.cap.find(HALF_PROTECTION).length > 0, 10_000);
    // Said first, then stored: the levels are the engine's once the row no longer names exchange orders.
    await waitFor("levels back with the engine", async () => (await protectionRow())?.venue === null, 5_000);
    expect(legs.map((o) => [o.orderType, o.algoStatus])).toEqual([
      ["STOP_MARKET", "CANCELED"],
      ["TAKE_PROFIT_MARKET", "CANCELED"],
    ]);
    // The stop the exchange no longer held is the engine's now: crossed, it closes the long.
    t.price.BTCUSDT = "28900";
    await t.env.quote("BTCUSDT", 28_900);
    await waitFor("stop exit filled", event("fut-half:stop_loss", "filled"), 10_000);
    expect(t.fake.futures?.positions.get("BTCUSDT")?.amt ?? 0).toBe(0);
  });

  it("futures: a stop canceled by hand is seen on the user data stream (ALGO_UPDATE) at once, not at the next poll", async () => {
    const engine = await start("futures", { PROTECTION_POLL_S: "60" });
    await t.env.quote("BTCUSDT", 30_000);
    await waitFor(
      "stream subscribed",
      () =>
        engine.cap.find("user data stream subscribed: working orders are looked up as they change").length >
        0,
      10_000,
    );
    const stop = await futuresLongWithStop("fut-algo");
    t.fake.futures?.cancelAlgo(stop.clientAlgoId);
    await waitFor("half protection seen", () => engine.cap.find(HALF_PROTECTION).length > 0, 5_000);
    expect(
      engine.cap
        .find("order update from the user data stream; looking it up now")
        .filter((l) => l.clientOrderId === stop.clientAlgoId && l.status === "CANCELED"),
    ).toMatchObject([{ poll: "protections" }]);
  });

  it("futures: a CLOSE goes reduce-only, after its protection is canceled", async () => {
    await start("futures");
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("fut-2", { quantity: 0.01, stop_loss: 29_000 });
    await waitFor("protection stored", restsOnExchange, 10_000);
    await t.env.signal("fut-2-close", { action: "close" });
    await waitFor("closed", event("fut-2-close", "filled"), 10_000);
    const close = t.fake.requests.find((r) => r.path === "/fapi/v1/order" && r.query.side === "SELL");
    expect(close?.query.reduceOnly).toBe("true");
    expect(t.fake.futures?.algoOrders.map((o) => o.algoStatus)).toEqual(["CANCELED"]);
    expect(t.fake.futures?.positions.get("BTCUSDT")?.amt ?? 0).toBe(0);
  });

  it("futures: a SELL no larger than the long goes reduce-only, under the kill switch too, and leaves the leverage alone", async () => {
    const engine = await start("futures");
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("fut-3", { quantity: 0.01, leverage: 3 });
    await waitFor("entry filled", event("fut-3", "filled"), 10_000);
    await fetch(`${engine.url}/kill-switch`, {
      method: "POST",
      body: JSON.stringify({ enabled: true, reason: "test" }),
    });
    await t.env.signal("fut-3-reduce", { action: "sell", quantity: 0.004, leverage: 7, confidence: 0.1 });
    await waitFor("reduced", event("fut-3-reduce", "filled"), 10_000);
    const sell = t.fake.requests.find((r) => r.path === "/fapi/v1/order" && r.query.side === "SELL");
    expect(sell?.query.reduceOnly).toBe("true");
    expect(
      t.fake.requests.filter((r) => r.path === "/fapi/v1/leverage").map((r) => r.query.leverage),
    ).toEqual(["3"]);
    expect(t.fake.futures?.positions.get("BTCUSDT")?.amt).toBeCloseTo(0.006, 8);
    // Larger than the long, a SELL would open a short: an entry, which the kill switch blocks.
    await t.env.signal("fut-3-flip", { action: "sell", quantity: 0.02 });
    const rejected = await waitFor("flip rejected", event("fut-3-flip", "rejected"), 10_000);
    expect(rejected).toMatchObject({ rejection_reason: "kill_switch_active: new entries are blocked" });
  });

  it("F31 futures: a 408 (backend timeout, outcome unknown) after the order took effect is looked up, not taken as refused", async () => {
    const engine = await start("futures");
    await t.env.quote("BTCUSDT", 30_000);
    t.fake.fail({ kind: 408, afterEffect: true, path: "/fapi/v1/order", method: "POST" });
    await t.env.signal("fut-408", { quantity: 0.01 });
    await waitFor("filled", event("fut-408", "filled"), 10_000);
    expect(
      t.fake.requests.filter((r) => r.path === "/fapi/v1/order" && r.method === "POST").map((r) => r.status),
    ).toEqual([408]);
    expect(
      engine.cap.find("order found by client id after a failed submit; adopted, not resent"),
    ).toHaveLength(1);
    expect((await t.env.orderEvents()).filter((e) => e.event === "rejected")).toEqual([]);
    expect(t.fake.futures?.positions.get("BTCUSDT")?.amt).toBe(0.01);
    await waitFor("position recorded", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0.01);
  });

  it("F28 futures: reconciliation reads the signed position amount and corrects drift to it", async () => {
    const engine = await start("futures", { RECONCILE_INTERVAL_S: "1" });
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("fut-3", { action: "sell", quantity: 0.01 });
    await waitFor("filled", event("fut-3", "filled"), 10_000);
    expect(engine.engine.snapshot().positions).toMatchObject({ BTCUSDT: { quantity: -0.01 } });
    t.fake.futures?.positions.set("BTCUSDT", { amt: -0.03, entry: 30_010.5 });
    await waitFor(
      "drift corrected",
      () => engine.cap.find("reconcile: position drift corrected to the exchange").length > 0,
    );
    const [corrected] = engine.cap.find("reconcile: position drift corrected to the exchange");
    expect(corrected).toMatchObject({ local: -0.01, exchange: -0.03 });
    // The 0.02 gained is priced at the live mid (30,000.005), the 0.01 held keeps its fill price.
    const sold = (await event("fut-3", "filled")()) as { avg_price: string };
    const expected = (0.01 * Number(sold.avg_price) + 0.02 * 30_000.005) / 0.03;
    expect(corrected?.avgPrice).toBeCloseTo(expected, 6);
    expect(engine.engine.snapshot().positions).toMatchObject({ BTCUSDT: { quantity: -0.03 } });
    // A position on a symbol the engine never traded is found too, and priced, not left at 0.
    await t.env.quote("ETHUSDT", 2_000);
    t.fake.futures?.positions.set("ETHUSDT", { amt: 0.5, entry: 1_990 });
    await waitFor(
      "new symbol corrected",
      () => engine.engine.snapshot().positions.ETHUSDT?.quantity === 0.5,
      10_000,
    );
    expect(engine.engine.snapshot().positions.ETHUSDT?.avgPrice).toBeCloseTo(2_000.005, 6);
  });

  it("F28 futures: reconciliation knows the engine's stop-loss / take-profit legs on the Algo Order API and flags any other conditional order", async () => {
    const engine = await start("futures", { RECONCILE_INTERVAL_S: "1" });
    await t.env.quote("BTCUSDT", 30_000);
    await futuresLongWithStop("fut-known");
    // A reduce-only stop placed by hand (or left by an earlier run): nobody follows it.
    t.fake.futures?.algoOrders.push({ ...stopLeg("BTCUSDT", "manual-stop"), algoId: 9_999 });
    const flagged = "reconcile: unknown open conditional order flagged, not touched";
    await waitFor("flagged", () => engine.cap.find(flagged).length > 0, 5_000);
    expect(engine.cap.find(flagged)[0]).toMatchObject({
      level: "warn",
      clientOrderId: "manual-stop",
      type: "STOP_MARKET",
      triggerPrice: "25000",
      foreign: true,
    });
    // Its own two legs are counted as protective, never flagged.
    expect(engine.cap.find(flagged).every((l) => l.clientOrderId === "manual-stop")).toBe(true);
    const done = await waitFor("a round that saw it", () =>
      engine.cap.find("reconciliation done").find((l) => l.flagged === 1),
    );
    expect(done).toMatchObject({ protective: 2, flagged: 1 });
    // Flagged, not touched.
    expect(t.fake.futures?.algoOrders.find((o) => o.clientAlgoId === "manual-stop")?.algoStatus).toBe("NEW");
  });

  it("F28 futures: a stop of the engine's own that no protection knows is canceled where no position is open (it would close a later one); where one is, flagged and left", async () => {
    const engine = await start("futures", { RECONCILE_INTERVAL_S: "1" });
    await t.env.quote("BTCUSDT", 30_000);
    await futuresLongWithStop("fut-guarded");
    // Left by a placement whose answer was lost and that was placed again under new ids.
    const stale = (symbol: string, id: string) =>
      t.fake.futures?.algoOrders.push({
        ...stopLeg(symbol, clientOrderIdFor(`${id}:protect:stop`)),
        algoId: 9_000 + (t.fake.futures?.algoOrders.length ?? 0),
      });
    stale("ETHUSDT", "eth-gone");
    stale("BTCUSDT", "btc-earlier");
    // One that triggers as it is canceled: the exchange answers -2011, the cancel took nothing off.
    stale("SOLUSDT", "sol-fired");
    const solId = clientOrderIdFor("sol-fired:protect:stop");
    t.fake.fail({
      kind: 400,
      code: -2011,
      path: "/fapi/v1/algoOrder",
      method: "DELETE",
      query: { clientAlgoId: solId },
    });
    const done = await waitFor(
      "a round that saw them",
      () => engine.cap.find("reconciliation done").find((l) => l.canceled === 1),
      5_000,
    );
    expect(done).toMatchObject({ protective: 2, flagged: 1, canceled: 1 });
    expect(
      engine.cap.find(
        "reconcile: a stale conditional order of the engine's own ended before it could be canceled: it may have executed; the position is compared with the exchange",
      ),
    ).toEqual([expect.objectContaining({ level: "error", clientOrderId: solId })]);
    const status = (id: string) =>
      t.fake.futures?.algoOrders.find((o) => o.clientAlgoId === clientOrderIdFor(`${id}:protect:stop`))
        ?.algoStatus;
    expect(status("eth-gone")).toBe("CANCELED");
    expect(status("btc-earlier")).toBe("NEW");
    expect(
      engine.cap.find(
        "reconcile: the engine's own conditional order guards nothing and no position is open on its symbol; canceled, as it would close a later one",
      ),
    ).toContainEqual(expect.objectContaining({ level: "warn", symbol: "ETHUSDT", type: "STOP_MARKET" }));
    expect(
      engine.cap.find("reconcile: unknown open conditional order flagged, not touched")[0],
    ).toMatchObject({
      symbol: "BTCUSDT",
      foreign: false,
    });
    // The position's own legs rest.
    expect(await restsOnExchange()).toBe(true);
    // Still resting after all: canceled the next round.
    await waitFor("the stale SOL stop canceled", () => status("sol-fired") === "CANCELED", 5_000);
    // Counted once the engine reads the cancel's answer, after the fake has marked it.
    await waitFor(
      "both cancels counted",
      async () =>
        (await metricAt(engine.url, "tradewire_engine_reconcile_total", { outcome: "canceled" })) === 2,
      5_000,
    );
  });

  it("refuses to start on a stored protection whose exchange orders it cannot read, naming it", async () => {
    const first = await start("spot");
    await first.stop("migrated");
    await t.env.db.pool.query(
      `INSERT INTO engine_protections (symbol, signal_id, strategy_id, direction, stop_loss, venue)
       VALUES ('BTCUSDT', 'bad-1', 'test', 1, 29000, '{"kind": "trailing"}')`,
    );
    await expect(start("spot")).rejects.toThrow(/engine_protections\.venue \(BTCUSDT\)/);
  });
});
