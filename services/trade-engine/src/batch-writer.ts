import pg from "pg";
import type { Check } from "./decide.js";
import type { OutgoingOrderEvent } from "./order-events.js";
import type { OutboxWrite } from "./outbox.js";
import { type Position, round8 } from "./paper.js";
import type { Protection } from "./protection.js";
import type { OrderRequest } from "./request.js";
import {
  type Claim,
  checkEntries,
  type DecisionStore,
  type EngineStore,
  type FillRecord,
  type OrderRow,
  orderEnd,
  type SignalStatus,
} from "./store.js";

/**
 * A whole paper batch in ONE statement (one round trip, atomic on its own, no BEGIN/COMMIT):
 * the claims carry their final status, then checks, orders, fills, positions, daily PnL,
 * protections, and the order events to publish (the outbox, with the rows of batches published
 * since deleted). Data-modifying CTEs cannot see each other's rows, hence the status in the claim
 * insert. If any claim or order already existed (a redelivery, another replica), the statement
 * aborts itself and writes nothing.
 */
const COMMIT_BATCH = `WITH s AS (
  INSERT INTO engine_signals (signal_id, source, strategy_id, symbol, action, request, status, reason, checks, decided_at)
  SELECT id, source, "strategyId", symbol, action, request, status, reason, checks, now()
  FROM jsonb_to_recordset($1::jsonb) AS t(id text, source text, "strategyId" text, symbol text, action text,
    request jsonb, status text, reason text, checks jsonb)
  ON CONFLICT (signal_id) DO NOTHING
  RETURNING signal_id
), o AS (
  INSERT INTO engine_orders (order_id, client_order_id, signal_id, symbol, side, type, quantity, price, status, mode, reduce_only)
  SELECT "orderId", "clientOrderId", "signalId", symbol, side, type, quantity, price, status, mode, coalesce("reduceOnly", false)
  FROM jsonb_to_recordset($2::jsonb) AS t("orderId" text, "clientOrderId" text, "signalId" text,
    symbol text, side text, type text, quantity numeric, price numeric, status text, mode text, "reduceOnly" boolean)
  ON CONFLICT (client_order_id) DO NOTHING
  RETURNING order_id
), f AS (
  INSERT INTO engine_fills (order_id, quantity, price, fee)
  SELECT t."orderId", t.quantity, t.price, t.fee
  FROM jsonb_to_recordset($3::jsonb) AS t("orderId" text, quantity numeric, price numeric, fee numeric)
  JOIN o ON o.order_id = t."orderId"
), p AS (
  INSERT INTO engine_positions (symbol, quantity, avg_price, realized_pnl)
  SELECT * FROM jsonb_to_recordset($4::jsonb)
    AS t(symbol text, quantity float8, "avgPrice" float8, "realizedPnl" float8)
  ON CONFLICT (symbol) DO UPDATE SET quantity = EXCLUDED.quantity, avg_price = EXCLUDED.avg_price,
    realized_pnl = EXCLUDED.realized_pnl, updated_at = now()
), d AS (
  INSERT INTO engine_daily_pnl (day, realized)
  SELECT (now() AT TIME ZONE 'utc')::date, $5::float8 WHERE jsonb_array_length($3::jsonb) > 0
  ON CONFLICT (day) DO UPDATE SET realized = round((engine_daily_pnl.realized + EXCLUDED.realized)::numeric, 8)::float8
), ps AS (
  INSERT INTO engine_protections (symbol, signal_id, strategy_id, direction, stop_loss, take_profit)
  SELECT * FROM jsonb_to_recordset($6::jsonb) AS t(symbol text, "signalId" text, "strategyId" text,
    direction smallint, "stopLoss" float8, "takeProfit" float8)
  ON CONFLICT (symbol) DO UPDATE SET signal_id = EXCLUDED.signal_id, strategy_id = EXCLUDED.strategy_id,
    direction = EXCLUDED.direction, stop_loss = EXCLUDED.stop_loss, take_profit = EXCLUDED.take_profit,
    venue = NULL, created_at = now()
), pd AS (
  DELETE FROM engine_protections WHERE symbol = ANY($7::text[])
), ob AS (
  INSERT INTO engine_outbox (batch_id, events) SELECT $8::text, $9::text WHERE $11::boolean
), obd AS (
  DELETE FROM engine_outbox WHERE batch_id = ANY($10::text[])
)
SELECT CASE
  WHEN (SELECT count(*) FROM s) <> jsonb_array_length($1::jsonb) THEN engine_abort_batch('claim_conflict')
  WHEN (SELECT count(*) FROM o) <> jsonb_array_length($2::jsonb) THEN engine_abort_batch('order_conflict')
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

/** A request the batch cannot decide before its claims are stored: the batch is decided one by one. */
export class OneByOne extends Error {
  constructor(why: string) {
    super(why);
    this.name = "OneByOne";
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
  private readonly checks = new Map<string, Check[]>();
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
    this.orders.push({ ...o, ...orderEnd(o) });
    this.fills.push(o);
    this.positions.set(o.symbol, o.position);
    this.settle(o.signalId, "FILLED", null, checks);
    this.events.push(...events);
    return true;
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
    const decided = (id: string) => this.statuses.get(id) ?? { status: "RECEIVED" as const, reason: null };
    const positions = [...this.positions];
    const set = [...this.protections.values()].filter((p): p is Protection => p !== null);
    const cleared = [...this.protections].filter(([, p]) => p === null).map(([symbol]) => symbol);
    const { orders, fills } = this;
    const at = new Date().toISOString();
    // Each set as ONE JSON array read by jsonb_to_recordset: array parameters would have every
    // element escaped into a literal by the driver and parsed back by the server.
    await store
      .query("engine_commit_batch", COMMIT_BATCH, [
        JSON.stringify(
          signals.map((r) => ({
            id: r.id,
            source: r.source,
            strategyId: r.strategyId,
            symbol: r.symbol,
            action: r.action,
            request: r,
            ...decided(r.id),
            checks: checkEntries(this.checks.get(r.id) ?? [], at),
          })),
        ),
        JSON.stringify(
          orders.map((o) => ({
            orderId: o.orderId,
            clientOrderId: o.clientOrderId,
            signalId: o.signalId,
            symbol: o.symbol,
            side: o.side,
            type: o.type,
            quantity: o.quantity,
            price: o.price,
            status: o.status,
            mode: o.mode,
            reduceOnly: o.reduceOnly ?? false,
          })),
        ),
        JSON.stringify(
          fills.map((f) => ({ orderId: f.orderId, quantity: f.quantity, price: f.price, fee: f.fee })),
        ),
        JSON.stringify(
          positions.map(([symbol, p]) => ({
            symbol,
            quantity: p.quantity,
            avgPrice: p.avgPrice,
            realizedPnl: p.realizedPnl,
          })),
        ),
        round8(fills.reduce((sum, f) => sum + f.realized, 0)),
        JSON.stringify(set),
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
    const all = this.checks.get(signalId);
    if (all === undefined) this.checks.set(signalId, [...checks]);
    else all.push(...checks);
  }
}
