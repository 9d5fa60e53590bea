import { TradingSignal } from "@tradewire/schemas";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fromSignal } from "../src/request.js";
import { environment, metricsAt } from "./harness.js";

let env: Awaited<ReturnType<typeof environment>>;
beforeEach(async () => {
  env = await environment();
});
afterEach(async () => {
  await env.cleanup();
});

/** Makes every engine_orders insert for `signalId` fail with "disk full (test)". */
const failOrderWritesOf = (signalId: string) =>
  env.db.pool.query(`
    CREATE FUNCTION fail_orders_of() RETURNS trigger AS $$
    BEGIN
      IF NEW.signal_id = '${signalId}' THEN RAISE EXCEPTION 'disk full (test)'; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
    CREATE TRIGGER fail_orders_of BEFORE INSERT ON engine_orders
      FOR EACH ROW EXECUTE FUNCTION fail_orders_of();`);

const buy = (id: string) =>
  ({
    req: fromSignal(
      TradingSignal.parse({
        signal_id: id,
        strategy_id: "batch",
        symbol: "BTCUSDT",
        action: "buy",
        confidence: 0.8,
        timestamp: Date.now(),
      }),
    ),
    receivedAt: Date.now(),
  }) as const;

describe("trade-engine batches (paper)", () => {
  it("decides a batch in one statement, then sends its events and lifecycle lines", async () => {
    const svc = await env.start();
    await env.quote("BTCUSDT", 30_000);
    const outcomes = await svc.engine.handleBatch(["b-1", "b-2", "b-3"].map(buy));
    expect(outcomes).toEqual(["done", "done", "done"]);
    const { rows } = await env.db.pool.query("SELECT count(*)::int AS n FROM engine_orders");
    expect(rows[0].n).toBe(3);
    const filled = (await env.orderEvents()).filter((e) => e.event === "filled").map((e) => e.signal_id);
    expect(filled.sort()).toEqual(["b-1", "b-2", "b-3"]);
    // What the one flush wrote is what the decisions saw: statuses, checks, fills, position, PnL row.
    const signals = await env.db.pool.query(
      "SELECT signal_id, status FROM engine_signals ORDER BY signal_id",
    );
    expect(signals.rows).toEqual(["b-1", "b-2", "b-3"].map((id) => ({ signal_id: id, status: "FILLED" })));
    const checks = await env.db.pool.query(
      "SELECT count(*)::int AS n FROM engine_signals WHERE jsonb_array_length(checks) > 0",
    );
    expect(checks.rows[0].n).toBe(3);
    const fills = await env.db.pool.query("SELECT count(*)::int AS n FROM engine_fills");
    expect(fills.rows[0].n).toBe(3);
    const stored = await env.db.pool.query(
      "SELECT quantity::float8 AS q FROM engine_positions WHERE symbol = 'BTCUSDT'",
    );
    const position = (svc.engine.snapshot().positions as Record<string, { quantity: number }>).BTCUSDT;
    expect(position?.quantity).toBeGreaterThan(0);
    expect(stored.rows[0].q).toBeCloseTo(position?.quantity ?? Number.NaN, 12);
    const daily = await env.db.pool.query(
      "SELECT count(*)::int AS n, sum(realized) AS r FROM engine_daily_pnl",
    );
    expect(daily.rows[0].n).toBe(1);
    // The stored day is the ledger's, to the cent and beyond: fees summed at 8 decimals on both sides.
    expect(daily.rows[0].r).toBeLessThan(0);
    expect(daily.rows[0].r).toBe(svc.engine.snapshot().dailyRealizedPnl);
    // The same ids again (a redelivery) are duplicates, inside a batch as well.
    expect(await svc.engine.handleBatch(["b-1", "b-1"].map(buy))).toEqual(["done", "done"]);
    expect(svc.cap.find("duplicate signal ignored")).toHaveLength(2);
    // The repeat was decided in memory first, then found stored: nothing of that attempt was
    // written or logged as a fill, and the position is still the stored one.
    expect(
      svc.cap.find("batch holds signals stored before (a redelivery); deciding them one by one"),
    ).toHaveLength(1);
    expect(svc.cap.find("FILLED")).toHaveLength(3);
    expect((await env.db.pool.query("SELECT count(*)::int AS n FROM engine_orders")).rows[0].n).toBe(3);
    const after = (svc.engine.snapshot().positions as Record<string, { quantity: number }>).BTCUSDT;
    expect(after?.quantity).toBe(position?.quantity);
    // Nor counted: /metrics says what was kept, three fills and two duplicates, not five fills.
    const metric = await metricsAt(svc.url);
    expect(metric("tradewire_engine_orders_total", { status: "filled" })).toBe(3);
    expect(metric("tradewire_engine_signals_total", { outcome: "filled" })).toBe(3);
    expect(metric("tradewire_engine_signals_total", { outcome: "duplicate" })).toBe(2);
    expect(metric("tradewire_engine_decision_seconds_count")).toBe(3);
  });

  it("F01 rolls a failing batch back, reloads its state and replays it one by one: only the bad request fails", async () => {
    const svc = await env.start();
    await env.quote("BTCUSDT", 30_000);
    // A fault that hits one request's write, after the others in its batch were decided.
    await failOrderWritesOf("bad-3");

    const ids = ["ok-1", "ok-2", "bad-3", "ok-4", "ok-5"];
    const outcomes = await svc.engine.handleBatch(ids.map(buy));

    expect(outcomes.map((o) => (o instanceof Error ? o.message : o))).toEqual([
      "done",
      "done",
      "disk full (test)",
      "done",
      "done",
    ]);
    expect(
      svc.cap.find("batch rolled back; reloading state and deciding its requests one by one")[0],
    ).toMatchObject({ requests: 5 });
    const orders = await env.db.pool.query("SELECT signal_id FROM engine_orders ORDER BY signal_id");
    expect(orders.rows.map((r) => r.signal_id)).toEqual(["ok-1", "ok-2", "ok-4", "ok-5"]);
    // Nothing of the rolled-back attempt survives in memory: the position is what was stored.
    const stored = await env.db.pool.query(
      "SELECT quantity::float8 AS q FROM engine_positions WHERE symbol = 'BTCUSDT'",
    );
    const position = (svc.engine.snapshot().positions as Record<string, { quantity: number }>).BTCUSDT;
    expect(position?.quantity).toBeCloseTo(stored.rows[0].q, 12);
    expect(position?.quantity).toBeGreaterThan(0);
    // No event of the rolled-back attempt went out; each good request filled exactly once.
    const filled = (await env.orderEvents()).filter((e) => e.event === "filled").map((e) => e.signal_id);
    expect(filled.sort()).toEqual(["ok-1", "ok-2", "ok-4", "ok-5"]);
  });

  it("a batch that is thrown away leaves no cooldown behind", async () => {
    const svc = await env.start({ COOLDOWN_SECONDS: "60" });
    await env.quote("BTCUSDT", 30_000);
    await failOrderWritesOf("cd-1");
    const [failed] = await svc.engine.handleBatch([buy("cd-1")]);
    expect(failed).toBeInstanceOf(Error);
    // cd-1 never executed, so the strategy is not cooling down: the next signal fills.
    expect(await svc.engine.handleBatch([buy("cd-2")])).toEqual(["done"]);
    const { rows } = await env.db.pool.query("SELECT status FROM engine_signals WHERE signal_id = 'cd-2'");
    expect(rows).toEqual([{ status: "FILLED" }]);
  });
});
