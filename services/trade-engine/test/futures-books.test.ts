import { waitFor } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { exchangeSuite, testnetSettings } from "./harness.js";

const t = exchangeSuite();

const protectionRows = async () =>
  (await t.env.db.pool.query("SELECT symbol FROM engine_protections")).rows as { symbol: string }[];
const dailyRow = async () =>
  Number(
    (await t.env.db.pool.query("SELECT realized FROM engine_daily_pnl")).rows[0]?.realized ?? Number.NaN,
  );
const CORRECTED = "reconcile: position drift corrected to the exchange";

/** A futures engine, then a long of 0.01 guarded on the exchange (stop 29,000, take-profit 31,000). */
async function guardedFuturesLong(id: string, extra: Record<string, string>) {
  const engine = await t.env.start(testnetSettings(t.fake.url, { BINANCE_MARKET: "futures", ...extra }));
  await t.env.quote("BTCUSDT", 30_000);
  await t.env.signal(id, { quantity: 0.01, stop_loss: 29_000, take_profit: 31_000 });
  await waitFor("protection set", () => engine.cap.find("protection set").length > 0, 10_000);
  return engine;
}
const RECONCILING = { RECONCILE_INTERVAL_S: "1", PROTECTION_POLL_S: "1" };

describe("reconciliation correcting a position the exchange closed itself (F28)", () => {
  it("futures: a liquidated long is realized at the mark into today's PnL, and its levels go with it: the next long is not guarded by them", async () => {
    const engine = await guardedFuturesLong("liq-1", RECONCILING);
    expect(await protectionRows()).toEqual([{ symbol: "BTCUSDT" }]);
    const before = engine.engine.snapshot().dailyRealizedPnl;
    const paid = engine.engine.snapshot().positions.BTCUSDT?.avgPrice ?? 0;
    // Liquidated (or closed by hand) at 27,000: the position is gone, its legs still rest.
    t.price.BTCUSDT = "27000";
    t.fake.futures?.positions.set("BTCUSDT", { amt: 0, entry: 0 });
    await t.env.quote("BTCUSDT", 27_000);
    const said = await waitFor("corrected", () => engine.cap.find(CORRECTED)[0], 10_000);
    const mid = (27_000 + 27_000.01) / 2;
    expect(said).toMatchObject({ symbol: "BTCUSDT", local: 0.01, exchange: 0 });
    expect(Number(said.realized)).toBeCloseTo(0.01 * (mid - paid), 6);
    // The loss counts toward the daily limit, in memory and stored.
    expect(engine.engine.snapshot().dailyRealizedPnl).toBeCloseTo(before + 0.01 * (mid - paid), 6);
    expect(await dailyRow()).toBeCloseTo(before + 0.01 * (mid - paid), 6);
    await waitFor("levels cleared", async () => (await protectionRows()).length === 0, 5_000);
    // Their legs are taken back, not left to close a later position.
    await waitFor(
      "legs canceled",
      () => t.fake.futures?.algoOrders.every((o) => o.algoStatus !== "NEW"),
      5_000,
    );
    // A new long without levels is not guarded by the liquidated entry's.
    await t.env.signal("liq-2", { quantity: 0.01 });
    await t.env.waitEvent("liq-2", "filled");
    expect(await protectionRows()).toEqual([]);
    expect(engine.cap.find("protection resized")).toEqual([]);
  });

  it("futures: levels whose orders were canceled by hand stay with the engine when a correction shrinks the position: none put back", async () => {
    const engine = await guardedFuturesLong("hand-1", RECONCILING);
    // The operator cancels both legs, then sells part of the position by hand.
    for (const o of t.fake.futures?.algoOrders ?? []) o.algoStatus = "CANCELED";
    const engineOnly = async () =>
      (await t.env.db.pool.query("SELECT engine_only FROM engine_protections WHERE symbol = 'BTCUSDT'"))
        .rows[0]?.engine_only;
    await waitFor("levels with the engine", async () => (await engineOnly()) === true, 10_000);
    t.fake.futures?.positions.set("BTCUSDT", { amt: 0.004, entry: 30_010.5 });
    await waitFor("corrected", () => engine.cap.find(CORRECTED).length > 0, 10_000);
    await waitFor("books follow", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0.004);
    expect(await engineOnly()).toBe(true);
    expect(t.fake.futures?.algoOrders.filter((o) => o.algoStatus === "NEW")).toEqual([]);
  });
});

describe("a flip of a position guarded on the exchange (F25)", () => {
  it("futures: a SELL larger than the long whose stop already executed records that exit first, then opens the short it was checked as", async () => {
    // Neither the stream nor the poll tells the engine of the stop before the flip arrives.
    const engine = await guardedFuturesLong("flip", { USER_STREAM: "false", PROTECTION_POLL_S: "600" });
    // The market falls through the stop: it executes on the exchange, and the long is gone there.
    t.price.BTCUSDT = "28900";
    expect(t.fake.futures?.trigger("BTCUSDT").map((o) => o.orderType)).toEqual(["STOP_MARKET"]);
    await t.env.quote("BTCUSDT", 28_900);
    await t.env.signal("flip-short", { action: "sell", quantity: 0.02 });
    await t.env.waitEvent("flip-short", "filled");
    // The stop is recorded as the long's exit, and the flip opened the whole short from flat.
    const exits = (await t.env.orderEvents()).filter((e) => e.signal_id.startsWith("flip:stop_loss"));
    expect(exits.map((e) => e.event)).toContain("filled");
    const held = t.fake.futures?.positions.get("BTCUSDT")?.amt;
    expect(held).toBeCloseTo(-0.02, 9);
    await waitFor(
      "books match the exchange",
      () => engine.engine.snapshot().positions.BTCUSDT?.quantity === held,
    );
  });
});
