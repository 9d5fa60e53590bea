import { captureLogger } from "@tradewire/logger";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { OrderFees } from "../src/execution/venue.js";
import { amendFees, LateFees } from "../src/late-fees.js";
import { createEngineMetrics } from "../src/metrics.js";
import type { FillRecord } from "../src/store.js";
import { migratedStore } from "./migrated-store.js";

// The statements behind fees read late, on a real PostgreSQL: what they add, to which rows, and
// what they leave alone. End to end (the engine, the fake exchange): exchange-unknowns.test.ts.
const t = migratedStore("englate");

const UNREAD = "/fapi/v1/userTrades: unexpected response: expected array";

/** An order of `status` and its fills ([quantity, fee, unread?]), the position and today's PnL as they recorded them. */
async function recorded(orderId: string, status: string, fills: [string, number, boolean?][]) {
  const paid = fills.reduce((sum, [, fee]) => sum + fee, 0);
  await t.store.pool.query(
    `INSERT INTO engine_orders (order_id, client_order_id, signal_id, symbol, side, type, quantity, price, status, mode)
     VALUES ($1, 'c-' || $1, 's-' || $1, 'BTCUSDT', 'BUY', 'LIMIT', 1, 30000, $2, 'testnet')`,
    [orderId, status],
  );
  for (const [quantity, fee, unread] of fills)
    await t.store.pool.query(
      "INSERT INTO engine_fills (order_id, quantity, price, fee, fees_unread) VALUES ($1, $2, 30000, $3, $4)",
      [orderId, quantity, fee, unread ? UNREAD : null],
    );
  await t.store.pool.query(
    `INSERT INTO engine_positions (symbol, quantity, avg_price, realized_pnl) VALUES ('BTCUSDT', 0.04, 30000, $1)
     ON CONFLICT (symbol) DO UPDATE SET realized_pnl = engine_positions.realized_pnl + $1`,
    [-paid],
  );
  await t.store.pool.query(
    `INSERT INTO engine_daily_pnl (day, realized) VALUES ((now() AT TIME ZONE 'utc')::date, $1)
     ON CONFLICT (day) DO UPDATE SET realized = engine_daily_pnl.realized + $1`,
    [-paid],
  );
}

const books = async () =>
  (
    await t.store.pool.query<{ position: number; day: number }>(
      `SELECT (SELECT realized_pnl FROM engine_positions) AS position, (SELECT realized FROM engine_daily_pnl) AS day`,
    )
  ).rows[0];
const fillsOf = async (orderId: string) =>
  (
    await t.store.pool.query<{ fee: number; unread: boolean }>(
      "SELECT fee::float8 AS fee, fees_unread IS NOT NULL AS unread FROM engine_fills WHERE order_id = $1 ORDER BY id",
      [orderId],
    )
  ).rows;
const fees = (fee: number, quantity: string): OrderFees => ({
  fee,
  feeAsset: "USDT",
  otherFees: [],
  quantity,
});

describe("fees read late", () => {
  it("adds what the order paid beyond what its fills recorded to the last unread fill and takes it off the PnL, once", async () => {
    // The first increment's fees were read; the next two were not.
    await recorded("o-1", "FILLED", [
      ["0.01", 0.3],
      ["0.01", 0, true],
      ["0.02", 0, true],
    ]);
    expect(await books()).toEqual({ position: -0.3, day: -0.3 });

    expect(await amendFees(t.store, "o-1", 1.2, "0.04")).toEqual({ added: 0.9 });
    expect(await fillsOf("o-1")).toEqual([
      { fee: 0.3, unread: false },
      { fee: 0, unread: false },
      { fee: 0.9, unread: false },
    ]);
    expect(await books()).toEqual({ position: -1.2, day: -1.2 });
    // Again (another replica, a repeat): nothing left to record, nothing moves.
    expect(await amendFees(t.store, "o-1", 1.2, "0.04")).toBe("none");
    expect(await books()).toEqual({ position: -1.2, day: -1.2 });
  });

  it("changes nothing when the trades read do not add up to the fills recorded (a read that missed some)", async () => {
    await recorded("o-2", "FILLED", [
      ["0.01", 0.3],
      ["0.01", 0, true],
    ]);
    expect(await amendFees(t.store, "o-2", 0.3, "0.01")).toEqual({ recordedQuantity: "0.02" });
    expect(await fillsOf("o-2")).toEqual([
      { fee: 0.3, unread: false },
      { fee: 0, unread: true },
    ]);
    expect(await books()).toEqual({ position: -0.3, day: -0.3 });
  });

  it("an increment whose fees were read catches up those recorded unread; once the order ended, the read adds what is missing (nothing) and clears the marks", async () => {
    await recorded("o-3", "PARTIALLY_FILLED", [["0.01", 0, true]]);
    const increment: FillRecord = {
      orderId: "o-3",
      clientOrderId: "c-o-3",
      signalId: "s-o-3",
      symbol: "BTCUSDT",
      side: "BUY",
      type: "LIMIT",
      quantity: "0.01",
      price: "30000",
      mode: "testnet",
      // Both increments' fees: the order's total so far less the 0 recorded.
      fee: "0.6",
      baseFee: "0",
      position: { quantity: 0.02, avgPrice: 30_000, realizedPnl: -0.6 },
      realized: -0.6,
    };
    const done = { status: "FILLED" as const, recordedBefore: "0.01" };
    expect(await t.store.recordExchangeFill(increment, [], done)).toBe(true);
    // The mark stays until the order's trades say the fees are all there.
    expect(await fillsOf("o-3")).toEqual([
      { fee: 0, unread: true },
      { fee: 0.6, unread: false },
    ]);
    expect(await amendFees(t.store, "o-3", 0.6, "0.02")).toEqual({ added: 0 });
    expect(await fillsOf("o-3")).toEqual([
      { fee: 0, unread: false },
      { fee: 0.6, unread: false },
    ]);
  });

  it("reads ended orders only, asks one that fails again at the next round, then further apart, and shows what is left", async () => {
    await recorded("ended-bad", "FILLED", [["0.01", 0, true]]);
    await recorded("ended-ok", "CANCELED", [["0.01", 0, true]]);
    await recorded("working", "PARTIALLY_FILLED", [["0.01", 0, true]]);
    const asked: string[] = [];
    const metrics = createEngineMetrics(new Registry());
    const cap = captureLogger("late-fees-test");
    let readable = new Set(["ended-ok"]);
    const late = new LateFees({
      store: t.store,
      read: async (_symbol, orderId) => {
        asked.push(orderId);
        if (!readable.has(orderId)) throw new Error(UNREAD);
        return fees(0.5, "0.01");
      },
      record: (order, paid) => amendFees(t.store, order.orderId, paid.fee, paid.quantity),
      metrics,
      log: cap.logger,
    });
    const unreadGauge = async () => (await metrics.feesUnread.get()).values[0]?.value;

    expect(await late.run()).toBe(1);
    expect(asked).toEqual(["ended-bad", "ended-ok"]);
    expect(await fillsOf("ended-ok")).toEqual([{ fee: 0.5, unread: false }]);
    // What is owed: the ended order's fill, not the working one's (its next increment may catch up).
    expect(await unreadGauge()).toBe(1);
    expect(cap.find("reconcile: fees still unread (its fees could not be read); asked again later")).toEqual([
      expect.objectContaining({ level: "warn", orderId: "ended-bad", attempts: 1, roundsApart: 1 }),
    ]);
    // Failing again: asked at the next round (2), then two rounds later (4).
    asked.length = 0;
    for (let round = 2; round <= 5; round++) await late.run();
    expect(asked).toEqual(["ended-bad", "ended-bad"]);
    // Readable now, and asked four rounds after the last (round 8).
    readable = new Set(["ended-bad"]);
    for (let round = 6; round <= 8; round++) await late.run();
    expect(asked).toEqual(["ended-bad", "ended-bad", "ended-bad"]);
    expect(await fillsOf("ended-bad")).toEqual([{ fee: 0.5, unread: false }]);
    expect(await unreadGauge()).toBe(0);
    expect(asked).not.toContain("working");
    expect(await books()).toEqual({ position: -1, day: -1 });
  });
});
