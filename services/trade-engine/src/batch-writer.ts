import pg from "pg";
import type { Check } from "./decide.js";
import type { OutgoingOrderEvent } from "./order-events.js";
import type { OutboxWrite } from "./outbox.js";
import type { Position } from "./paper.js";
import type { Protection } from "./protection.js";
import type { OrderRequest } from "./request.js";
import type { Claim, DecisionStore, EngineStore, FillRecord, OrderRow, SignalStatus } from "./store.js";

/**
 * A whole paper batch in ONE statement (one round trip, atomic on its own, no BEGIN/COMMIT):
 * the claims carry their final status, then checks, orders, fills, positions, daily PnL,
 * protections, and the order events to publish (the outbox, with the rows of batches published
 * since deleted). Data-modifying CTEs cannot see each other's rows, hence the status in the claim
 * insert. If any claim or order already existed (a redelivery, another replica), the statement
 * aborts itself and writes nothing.
 */
const COMMIT_BATCH = `WITH s AS (
  INSERT INTO engine_signals (signal_id, source, strategy_id, symbol, action, request, status, reason, decided_at)
  SELECT id, source, strategy_id, symbol, action, request, status, reason, now()
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::text[], $8::text[])
    AS t(id, source, strategy_id, symbol, action, request, status, reason)
  ON CONFLICT (signal_id) DO NOTHING
  RETURNING signal_id
), c AS (
  INSERT INTO engine_signal_events (signal_id, step, outcome, detail)
  SELECT * FROM unnest($9::text[], $10::text[], $11::text[], $12::text[])
), o AS (
  INSERT INTO engine_orders (order_id, client_order_id, signal_id, symbol, side, type, quantity, price, status, mode)
  SELECT * FROM unnest($13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[],
    $19::numeric[], $20::numeric[], $21::text[], $22::text[])
  ON CONFLICT (client_order_id) DO NOTHING
  RETURNING order_id
), f AS (
  INSERT INTO engine_fills (order_id, quantity, price, fee)
  SELECT t.order_id, t.quantity, t.price, t.fee
  FROM unnest($23::text[], $24::numeric[], $25::numeric[], $26::numeric[]) AS t(order_id, quantity, price, fee)
  JOIN o USING (order_id)
), p AS (
  INSERT INTO engine_positions (symbol, quantity, avg_price, realized_pnl)
  SELECT * FROM unnest($27::text[], $28::float8[], $29::float8[], $30::float8[])
  ON CONFLICT (symbol) DO UPDATE SET quantity = EXCLUDED.quantity, avg_price = EXCLUDED.avg_price,
    realized_pnl = EXCLUDED.realized_pnl, updated_at = now()
), d AS (
  INSERT INTO engine_daily_pnl (day, realized)
  SELECT (now() AT TIME ZONE 'utc')::date, $31::float8 WHERE cardinality($23::text[]) > 0
  ON CONFLICT (day) DO UPDATE SET realized = engine_daily_pnl.realized + EXCLUDED.realized
), ps AS (
  INSERT INTO engine_protections (symbol, signal_id, strategy_id, direction, stop_loss, take_profit)
  SELECT * FROM unnest($32::text[], $33::text[], $34::text[], $35::smallint[], $36::float8[], $37::float8[])
  ON CONFLICT (symbol) DO UPDATE SET signal_id = EXCLUDED.signal_id, strategy_id = EXCLUDED.strategy_id,
    direction = EXCLUDED.direction, stop_loss = EXCLUDED.stop_loss, take_profit = EXCLUDED.take_profit,
    venue = NULL, created_at = now()
), pd AS (
  DELETE FROM engine_protections WHERE symbol = ANY($38::text[])
), ob AS (
  INSERT INTO engine_outbox (batch_id, events) SELECT $39::text, $40::text WHERE $42::boolean
), obd AS (
  DELETE FROM engine_outbox WHERE batch_id = ANY($41::text[])
)
SELECT CASE
  WHEN (SELECT count(*) FROM s) <> cardinality($1::text[]) THEN engine_abort_batch('claim_conflict')
  WHEN (SELECT count(*) FROM o) <> cardinality($13::text[]) THEN engine_abort_batch('order_conflict')
  ELSE 0 END AS ok`;

/** The SQLSTATE `engine_abort_batch` raises: the batch held something decided before. */
const BATCH_CONFLICT = "TWB01";

/** A batch held a signal (or order) stored before: a redelivery, or another replica's. Nothing was written. */
export class BatchConflict extends Error {
  constructor(cause: unknown) {
    super("batch holds signals stored before", { cause });
    this.name = "BatchConflict";
  }
}

/**
 * The store a paper batch decides against: every claim is taken as new and every write is held,
 * and `commit` writes them all in one statement. The in-memory engine state is what decisions
 * read, so nothing needs reading back. A claim that was not new after all (a redelivery) makes
 * `commit` fail with BATCH_CONFLICT and write nothing; the caller reloads and decides one by one.
 */
export class BatchWriter implements DecisionStore {
  private readonly requests = new Map<string, OrderRequest>();
  private readonly statuses = new Map<string, { status: SignalStatus; reason: string | null }>();
  private readonly checks: { signalId: string; check: Check }[] = [];
  private readonly orders: OrderRow[] = [];
  private readonly fills: FillRecord[] = [];
  private readonly positions = new Map<string, Position>();
  /** Final protection per symbol; null: cleared. */
  private readonly protections = new Map<string, Protection | null>();
  /** The order events of the writes, in order: the batch's outbox row. */
  readonly events: OutgoingOrderEvent[] = [];

  async claim(req: OrderRequest): Promise<Claim> {
    const decided = this.statuses.get(req.id);
    if (decided !== undefined) return { state: "duplicate", status: decided.status };
    if (this.requests.has(req.id)) return { state: "busy" };
    this.requests.set(req.id, req);
    return { state: "new" };
  }

  async finish(
    signalId: string,
    status: SignalStatus,
    reason: string | undefined,
    checks: readonly Check[],
    events: readonly OutgoingOrderEvent[] = [],
  ): Promise<void> {
    this.settle(signalId, status, reason ?? null, checks);
    this.events.push(...events);
  }

  async recordFill(
    o: FillRecord,
    checks: readonly Check[],
    events: readonly OutgoingOrderEvent[] = [],
  ): Promise<boolean> {
    this.orders.push({ ...o, status: "FILLED" });
    this.fills.push(o);
    this.positions.set(o.symbol, o.position);
    this.settle(o.signalId, "FILLED", null, checks);
    this.events.push(...events);
    return true;
  }

  recordedFill(): Promise<undefined> {
    // recordFill never reports an existing order here: a conflict aborts the commit instead.
    return Promise.reject(new Error("BatchWriter.recordedFill: a batch never finds a recorded fill"));
  }

  async setProtection(p: Protection): Promise<void> {
    this.protections.set(p.symbol, p);
  }

  async clearProtection(symbol: string): Promise<void> {
    this.protections.set(symbol, null);
  }

  async insertOrder(o: OrderRow): Promise<void> {
    this.orders.push(o);
  }

  /** Writes the batch in one statement; throws (BATCH_CONFLICT) without writing if anything existed. */
  async commit(store: EngineStore, outbox: OutboxWrite): Promise<void> {
    const signals = [...this.requests.values()];
    const status = (id: string) => this.statuses.get(id) ?? { status: "RECEIVED" as const, reason: null };
    const positions = [...this.positions];
    const set = [...this.protections.values()].filter((p): p is Protection => p !== null);
    const cleared = [...this.protections].filter(([, p]) => p === null).map(([symbol]) => symbol);
    const { orders, fills, checks } = this;
    await store
      .query("engine_commit_batch", COMMIT_BATCH, [
        signals.map((r) => r.id),
        signals.map((r) => r.source),
        signals.map((r) => r.strategyId),
        signals.map((r) => r.symbol),
        signals.map((r) => r.action),
        signals.map((r) => JSON.stringify(r)),
        signals.map((r) => status(r.id).status),
        signals.map((r) => status(r.id).reason),
        checks.map((c) => c.signalId),
        checks.map((c) => c.check.step),
        checks.map((c) => c.check.outcome),
        checks.map((c) => c.check.detail ?? null),
        orders.map((o) => o.orderId),
        orders.map((o) => o.clientOrderId),
        orders.map((o) => o.signalId),
        orders.map((o) => o.symbol),
        orders.map((o) => o.side),
        orders.map((o) => o.type),
        orders.map((o) => o.quantity),
        orders.map((o) => o.price),
        orders.map((o) => o.status),
        orders.map((o) => o.mode),
        fills.map((f) => f.orderId),
        fills.map((f) => f.quantity),
        fills.map((f) => f.price),
        fills.map((f) => f.fee),
        positions.map(([symbol]) => symbol),
        positions.map(([, p]) => p.quantity),
        positions.map(([, p]) => p.avgPrice),
        positions.map(([, p]) => p.realizedPnl),
        fills.reduce((sum, f) => sum + f.realized, 0),
        set.map((p) => p.symbol),
        set.map((p) => p.signalId),
        set.map((p) => p.strategyId),
        set.map((p) => p.direction),
        set.map((p) => p.stopLoss ?? null),
        set.map((p) => p.takeProfit ?? null),
        cleared,
        outbox.batchId,
        JSON.stringify(outbox.events),
        outbox.published,
        outbox.events.length > 0,
      ])
      .catch((error: unknown) => {
        throw error instanceof pg.DatabaseError && error.code === BATCH_CONFLICT
          ? new BatchConflict(error)
          : error;
      });
  }

  private settle(signalId: string, status: SignalStatus, reason: string | null, checks: readonly Check[]) {
    this.statuses.set(signalId, { status, reason });
    for (const check of checks) this.checks.push({ signalId, check });
  }
}
