import type { OrderEvent } from "@tradewire/schemas";
import { waitFor } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { environment, metricAt } from "./harness.js";
import { limitBuy } from "./order-request.js";

let env: Awaited<ReturnType<typeof environment>>;
beforeEach(async () => {
  env = await environment();
});
afterEach(async () => {
  await env.cleanup();
});

const eventsOf = async (signalId: string) =>
  (await env.orderEvents()).filter((e) => e.signal_id === signalId);
const hasEvent = (signalId: string, kind: OrderEvent["event"]) => async () =>
  (await eventsOf(signalId)).some((e) => e.event === kind);
const status = async (signalId: string) =>
  (await env.db.pool.query("SELECT status, reason FROM engine_signals WHERE signal_id = $1", [signalId]))
    .rows[0] as { status: string; reason: string | null } | undefined;

/** A paper long of 0.1 ETHUSDT (`<id>-open`), and `<id>-tp`: a LIMIT close at 3,100 resting. */
async function longWithRestingClose(id: string) {
  const svc = await env.start();
  await env.quote("ETHUSDT", 3_000);
  await env.signal(`${id}-open`, { symbol: "ETHUSDT", quantity: 0.1 });
  await waitFor("opened", hasEvent(`${id}-open`, "filled"), 10_000);
  await env.signal(`${id}-tp`, { symbol: "ETHUSDT", action: "close", order_type: "LIMIT", price: 3_100 });
  await waitFor("tp placed", hasEvent(`${id}-tp`, "placed"), 10_000);
  return svc;
}

describe("paper LIMIT orders", () => {
  it("an IOC or FOK never rests: below the ask it expires with nothing done, at or above it fills", async () => {
    const svc = await env.start();
    await env.quote("BTCUSDT", 30_000);
    await env.signal("ioc-far", limitBuy(29_900, { time_in_force: "IOC" }));
    await waitFor("expired", hasEvent("ioc-far", "rejected"), 10_000);
    expect((await eventsOf("ioc-far"))[0]).toMatchObject({
      rejection_source: "exchange",
      rejection_reason:
        "exchange_expired: LIMIT IOC BUY @ 29900 not reached (bid 30000, ask 30000.01); nothing executed",
    });
    expect(svc.engine.restingOrders()).toEqual([]);
    expect((await status("ioc-far"))?.status).toBe("REJECTED");

    await env.signal("fok-near", limitBuy(30_050, { time_in_force: "fok" }));
    await waitFor("filled", hasEvent("fok-near", "filled"), 10_000);
    // At the ask with the paper slippage, within the limit.
    const filled = (await eventsOf("fok-near")).find((e) => e.event === "filled");
    const avg = Number(filled?.event === "filled" ? filled.avg_price : Number.NaN);
    expect(avg).toBeGreaterThanOrEqual(30_000.01);
    expect(avg).toBeLessThanOrEqual(30_050);
    expect(svc.engine.restingOrders()).toEqual([]);
  });

  it("rests below the ask, then fills at its own price when the market reaches it", async () => {
    const svc = await env.start();
    await env.quote("BTCUSDT", 30_000);
    await env.signal("lim-1", limitBuy(29_900));
    await waitFor("placed", hasEvent("lim-1", "placed"), 10_000);
    const [placed] = await eventsOf("lim-1");
    expect(placed).toMatchObject({ type: "LIMIT", price: "29900", quantity: "0.01000", side: "BUY" });
    expect((await status("lim-1"))?.status).toBe("PLACED");
    const open = (await (await fetch(`${svc.url}/orders?status=new`)).json()) as {
      orders: { client_order_id: string; type: string; price: string }[];
    };
    expect(open.orders).toMatchObject([{ type: "LIMIT", price: "29900" }]);
    const bad = await fetch(`${svc.url}/orders?status=open`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'status must be one of new, partially_filled, filled, canceled: got "open"',
    });
    const gauge = () => metricAt(svc.url, "tradewire_engine_resting_orders");
    expect(await gauge()).toBe(1);
    // Not reached yet: no position, however many ticks pass.
    await svc.engine.fillRestingOrders();
    expect(svc.engine.snapshot().positions).toEqual({});

    // The ask falls to 29,890.01: the protection loop's tick fills it at 29,900, not at the ask.
    await env.quote("BTCUSDT", 29_890);
    await waitFor("filled", hasEvent("lim-1", "filled"), 10_000);
    const filled = (await eventsOf("lim-1")).find((e) => e.event === "filled");
    expect(filled).toMatchObject({ type: "LIMIT", avg_price: "29900", filled_quantity: "0.01000" });
    expect(Number(filled?.event === "filled" ? filled.fee : Number.NaN)).toBeCloseTo(
      0.01 * 29_900 * 0.001,
      8,
    );
    expect((await status("lim-1"))?.status).toBe("FILLED");
    expect(svc.engine.snapshot().positions).toMatchObject({ BTCUSDT: { quantity: 0.01, avgPrice: 29_900 } });
    expect(svc.engine.restingOrders()).toEqual([]);
    expect(await gauge()).toBe(0);
    const fills = await env.db.pool.query("SELECT price::text FROM engine_fills");
    expect(fills.rows).toEqual([{ price: "29900" }]);
  });

  it("fills a marketable LIMIT at once, never past its price however large the slippage", async () => {
    const svc = await env.start({ PAPER_SLIPPAGE_BPS: "100" });
    await env.quote("BTCUSDT", 30_000);
    await svc.engine.fillRestingOrders();
    await env.signal("lim-now", limitBuy(30_010));
    await waitFor("filled", hasEvent("lim-now", "filled"), 10_000);
    const filled = (await eventsOf("lim-now")).find((e) => e.event === "filled");
    // The ask plus 1% slippage would be 30,300.01: capped at the limit.
    expect(filled?.event === "filled" && filled.avg_price).toBe("30010");
    const row = await env.db.pool.query("SELECT type, status FROM engine_orders");
    expect(row.rows).toEqual([{ type: "LIMIT", status: "FILLED" }]);
    expect(svc.engine.restingOrders()).toEqual([]);
  });

  it("survives a restart, counts toward the risk limits; the kill switch cancels entries, not closes", async () => {
    const first = await env.start({ MAX_NOTIONAL_PER_SYMBOL: "500" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("lim-a", limitBuy(29_000));
    await waitFor("placed", hasEvent("lim-a", "placed"), 10_000);
    // 0.01 x 29,000 = 290 resting: another 290 would make 580 > 500 before either fills.
    await env.signal("lim-b", limitBuy(29_000));
    await waitFor("rejected", hasEvent("lim-b", "rejected"), 10_000);
    expect((await status("lim-b"))?.reason).toMatch(/^symbol_notional_above_maximum: 580\.00 > 500/);
    await first.stop("restart");

    const second = await env.start({ MAX_NOTIONAL_PER_SYMBOL: "500" });
    expect(second.engine.restingOrders().map((o) => o.req.id)).toEqual(["lim-a"]);
    // A long on ETH with a resting take-profit: a LIMIT close above the bid.
    await env.quote("ETHUSDT", 3_000);
    await env.signal("eth-open", { symbol: "ETHUSDT", quantity: 0.1 });
    await waitFor("eth filled", hasEvent("eth-open", "filled"), 10_000);
    await env.signal("eth-tp", { symbol: "ETHUSDT", action: "close", order_type: "LIMIT", price: 3_100 });
    await waitFor("tp placed", hasEvent("eth-tp", "placed"), 10_000);

    const res = await fetch(`${second.url}/kill-switch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ enabled: true, reason: "drill" }),
    });
    expect(res.status).toBe(200);
    await waitFor("entry canceled", hasEvent("lim-a", "canceled"), 10_000);
    const canceled = (await eventsOf("lim-a")).find((e) => e.event === "canceled");
    expect(canceled?.event === "canceled" && canceled.reason).toBe("kill_switch_active: drill");
    expect(await status("lim-a")).toEqual({ status: "CANCELED", reason: "kill_switch_active: drill" });
    expect(second.engine.restingOrders().map((o) => o.req.id)).toEqual(["eth-tp"]);
    // The close still fills when the market reaches it, and flattens the position.
    await env.quote("ETHUSDT", 3_150);
    await waitFor("tp filled", hasEvent("eth-tp", "filled"), 10_000);
    expect(second.engine.snapshot().positions).toMatchObject({ ETHUSDT: { quantity: 0 } });
    // A canceled order never fills, even when the market comes to it.
    await env.quote("BTCUSDT", 28_000);
    await second.engine.fillRestingOrders();
    expect(second.engine.snapshot().positions).not.toHaveProperty("BTCUSDT");
  });

  it("a resting close never closes more than is still held, never flips the position, and its rest ends canceled", async () => {
    const svc = await longWithRestingClose("e");
    // The position shrinks while the close rests: 0.06 of the 0.1 is sold at market.
    await env.signal("e-cut", { symbol: "ETHUSDT", action: "sell", quantity: 0.06 });
    await waitFor("cut", hasEvent("e-cut", "filled"), 10_000);
    await env.quote("ETHUSDT", 3_150);
    await waitFor("tp filled", hasEvent("e-tp", "partial_fill"), 10_000);
    const fill = (await eventsOf("e-tp")).find((e) => e.event === "partial_fill");
    expect(fill?.event === "partial_fill" && Number(fill.filled_quantity)).toBeCloseTo(0.04, 8);
    expect(svc.engine.snapshot().positions).toMatchObject({ ETHUSDT: { quantity: 0 } });
    // Its story ends: the rest is canceled, not left at partial_fill.
    await waitFor("rest canceled", hasEvent("e-tp", "canceled"), 10_000);
    const events = await eventsOf("e-tp");
    expect(events.map((e) => e.event)).toEqual(["placed", "partial_fill", "canceled"]);
    expect(events[2]).toMatchObject({ reason: "clipped: 0.04 of 0.1 executed; the position held no more" });
    // Stored the same way: the row keeps what was ordered and ends CANCELED, its fill what executed.
    const row = await env.db.pool.query(
      `SELECT o.quantity::text, o.status, (SELECT sum(f.quantity)::text FROM engine_fills f WHERE f.order_id = o.order_id) AS executed
       FROM engine_orders o WHERE o.signal_id = 'e-tp'`,
    );
    expect(row.rows).toEqual([{ quantity: "0.1", status: "CANCELED", executed: "0.04" }]);
  });

  it("a resting SELL admitted as a reduce stays one when the position shrinks, across a restart: it never flips the position", async () => {
    const first = await env.start();
    await env.quote("ETHUSDT", 3_000);
    await env.signal("r-open", { symbol: "ETHUSDT", quantity: 0.1 });
    await waitFor("opened", hasEvent("r-open", "filled"), 10_000);
    // A SELL no larger than the long: a reduce (no entry checks), resting at 3,100.
    await env.signal("r-tp", {
      symbol: "ETHUSDT",
      action: "sell",
      order_type: "LIMIT",
      price: 3_100,
      quantity: 0.1,
    });
    await waitFor("tp placed", hasEvent("r-tp", "placed"), 10_000);
    await first.stop("restart");
    const svc = await env.start();
    await env.quote("ETHUSDT", 3_000);
    // The position shrinks while it rests: 0.06 sold at market. The resting 0.1 is now larger than
    // the 0.04 held; filled whole it would open a 0.06 short that took no entry check.
    await env.signal("r-cut", { symbol: "ETHUSDT", action: "sell", quantity: 0.06 });
    await waitFor("cut", hasEvent("r-cut", "filled"), 10_000);
    await env.quote("ETHUSDT", 3_150);
    await waitFor("tp filled", hasEvent("r-tp", "partial_fill"), 10_000);
    const fill = (await eventsOf("r-tp")).find((e) => e.event === "partial_fill");
    expect(fill?.event === "partial_fill" && Number(fill.filled_quantity)).toBeCloseTo(0.04, 8);
    expect(svc.engine.snapshot().positions).toMatchObject({ ETHUSDT: { quantity: 0 } });
    const row = await env.db.pool.query("SELECT reduce_only FROM engine_orders WHERE signal_id = 'r-tp'");
    expect(row.rows).toEqual([{ reduce_only: true }]);
  });

  it("a CLOSE supersedes the close resting for its symbol: canceled first, so it cannot close a later position", async () => {
    const svc = await longWithRestingClose("s");
    await env.signal("s-out", { symbol: "ETHUSDT", action: "close" });
    await waitFor("closed", hasEvent("s-out", "filled"), 10_000);
    expect((await eventsOf("s-tp")).find((e) => e.event === "canceled")).toMatchObject({
      reason: "superseded_by_close: s-out",
    });
    expect(svc.engine.restingOrders()).toEqual([]);
    // A new long, then the market reaches the old close's price: nothing of the old close is left.
    await env.signal("s-again", { symbol: "ETHUSDT", quantity: 0.1, strategy_id: "other" });
    await waitFor("opened again", hasEvent("s-again", "filled"), 10_000);
    await env.quote("ETHUSDT", 3_150);
    await new Promise((r) => setTimeout(r, 500));
    expect((await eventsOf("s-tp")).map((e) => e.event)).toEqual(["placed", "canceled"]);
    expect(svc.engine.snapshot().positions.ETHUSDT?.quantity).toBeCloseTo(0.1, 9);
  });

  it("a CLOSE delivered again after it was decided cancels nothing that rests now", async () => {
    const svc = await longWithRestingClose("r");
    await env.signal("r-out", { symbol: "ETHUSDT", action: "close" });
    await waitFor("closed", hasEvent("r-out", "filled"), 10_000);
    await env.signal("r-again", { symbol: "ETHUSDT", quantity: 0.1, strategy_id: "other" });
    await waitFor("opened again", hasEvent("r-again", "filled"), 10_000);
    await env.signal("r-tp2", { symbol: "ETHUSDT", action: "close", order_type: "LIMIT", price: 3_100 });
    await waitFor("new close placed", hasEvent("r-tp2", "placed"), 10_000);
    // The first CLOSE again (a redelivery, a replayed publish): a duplicate, and the new close stays.
    await env.signal("r-out", { symbol: "ETHUSDT", action: "close" });
    await waitFor("duplicate", () =>
      svc.cap.find("duplicate signal ignored").some((l) => l.signalId === "r-out"),
    );
    expect((await eventsOf("r-tp2")).map((e) => e.event)).toEqual(["placed"]);
    expect(svc.engine.restingOrders().map((o) => o.req.id)).toEqual(["r-tp2"]);
    expect(svc.engine.snapshot().positions.ETHUSDT?.quantity).toBeCloseTo(0.1, 9);
  });

  it("cancels a resting order through DELETE /orders/:clientOrderId", async () => {
    const svc = await env.start();
    await env.quote("BTCUSDT", 30_000);
    await env.signal("lim-x", limitBuy(29_500));
    await waitFor("placed", hasEvent("lim-x", "placed"), 10_000);
    const [order] = svc.engine.restingOrders();
    const res = await fetch(`${svc.url}/orders/${order?.clientOrderId}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    await waitFor("canceled", hasEvent("lim-x", "canceled"), 10_000);
    expect((await status("lim-x"))?.status).toBe("CANCELED");
    const again = await fetch(`${svc.url}/orders/${order?.clientOrderId}`, { method: "DELETE" });
    expect(again.status).toBe(404);
  });
});
