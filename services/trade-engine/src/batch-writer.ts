import type { Check } from "./decide.js";
import type { Position } from "./paper.js";
import type { Protection } from "./protection.js";
import type { OrderRequest } from "./request.js";
import type { Claim, DecisionStore, EngineStore, FillRecord, OrderRow, SignalStatus } from "./store.js";

/** Every outcome of a batch in one statement: arrays in, data-modifying CTEs, one round trip. */
const FLUSH = `WITH o AS (
  INSERT INTO engine_orders (order_id, client_order_id, signal_id, symbol, side, type, quantity, price, status, mode)
  SELECT order_id, client_order_id, signal_id, symbol, side, 'MARKET', quantity, price, 'FILLED', mode
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::numeric[], $8::text[])
    AS t(order_id, client_order_id, signal_id, symbol, side, quantity, price, mode)
  ON CONFLICT (client_order_id) DO NOTHING
  RETURNING order_id
), f AS (
  INSERT INTO engine_fills (order_id, quantity, price, fee)
  SELECT t.order_id, t.quantity, t.price, t.fee
  FROM unnest($1::text[], $6::numeric[], $7::numeric[], $9::numeric[]) AS t(order_id, quantity, price, fee)
  JOIN o USING (order_id)
), p AS (
  INSERT INTO engine_positions (symbol, quantity, avg_price, realized_pnl)
  SELECT * FROM unnest($10::text[], $11::float8[], $12::float8[], $13::float8[])
  ON CONFLICT (symbol) DO UPDATE SET quantity = EXCLUDED.quantity, avg_price = EXCLUDED.avg_price,
    realized_pnl = EXCLUDED.realized_pnl, updated_at = now()
), d AS (
  INSERT INTO engine_daily_pnl (day, realized)
  SELECT (now() AT TIME ZONE 'utc')::date, $14::float8 WHERE cardinality($1::text[]) > 0
  ON CONFLICT (day) DO UPDATE SET realized = engine_daily_pnl.realized + EXCLUDED.realized
), c AS (
  INSERT INTO engine_signal_events (signal_id, step, outcome, detail)
  SELECT * FROM unnest($15::text[], $16::text[], $17::text[], $18::text[])
), s AS (
  UPDATE engine_signals SET status = u.status, reason = u.reason, decided_at = now()
  FROM unnest($19::text[], $20::text[], $21::text[]) AS u(id, status, reason) WHERE signal_id = u.id
)
SELECT count(*)::int AS orders FROM o`;

/**
 * The store a paper batch decides against, inside the batch's transaction. Claims were made for
 * the whole batch up front; final statuses, checks, fills and positions are buffered and written
 * by `flush` in one statement before the commit. The in-memory engine state is what the
 * decisions read, so nothing here needs reading back. Anything unusual (a request claimed before
 * this batch, protections) goes straight to the transaction, still in order.
 */
export class BatchWriter implements DecisionStore {
  private readonly decided = new Map<string, SignalStatus>();
  /** Claimed by this batch: their orders cannot exist yet, so their fills can wait for `flush`. */
  private readonly newIds = new Set<string>();
  private readonly fills: FillRecord[] = [];
  private readonly positions = new Map<string, Position>();
  private readonly checks: { signalId: string; check: Check }[] = [];
  private readonly statuses: { signalId: string; status: SignalStatus; reason: string | null }[] = [];

  constructor(
    private readonly tx: EngineStore,
    /** Ids this batch's multi-row claim inserted; each is "new" once. */
    private readonly claimed: Set<string>,
    /** False writes each outcome at once: for one request, the single-row statements are faster. */
    private readonly buffer = true,
  ) {}

  async claim(req: OrderRequest): Promise<Claim> {
    const status = this.decided.get(req.id);
    if (status !== undefined) return { state: "duplicate", status };
    if (this.claimed.delete(req.id)) {
      this.newIds.add(req.id);
      return { state: "new" };
    }
    return this.tx.claim(req);
  }

  async finish(
    signalId: string,
    status: SignalStatus,
    reason: string | undefined,
    checks: readonly Check[],
  ): Promise<void> {
    if (!this.buffer) return this.tx.finish(signalId, status, reason, checks);
    this.settle(signalId, status, reason ?? null, checks);
  }

  async recordFill(o: FillRecord, checks: readonly Check[]): Promise<boolean> {
    // Later fills of the symbol, buffered or not, must not be overwritten by an earlier position.
    this.positions.set(o.symbol, o.position);
    if (!this.buffer || !this.newIds.has(o.signalId)) return this.tx.recordFill(o, checks);
    this.fills.push(o);
    this.settle(o.signalId, "FILLED", null, checks);
    return true;
  }

  recordedFill(clientOrderId: string) {
    return this.tx.recordedFill(clientOrderId);
  }

  setProtection(p: Protection): Promise<void> {
    return this.tx.setProtection(p);
  }

  clearProtection(symbol: string): Promise<void> {
    return this.tx.clearProtection(symbol);
  }

  insertOrder(o: OrderRow): Promise<void> {
    return this.tx.insertOrder(o);
  }

  /** Writes what was buffered; throws if any order already existed (the batch is then replayed). */
  async flush(): Promise<void> {
    if (!this.buffer || (this.statuses.length === 0 && this.positions.size === 0)) return;
    const f = this.fills;
    const positions = [...this.positions];
    const { rows } = await this.tx.query<{ orders: number }>("engine_batch_flush", FLUSH, [
      f.map((x) => x.orderId),
      f.map((x) => x.clientOrderId),
      f.map((x) => x.signalId),
      f.map((x) => x.symbol),
      f.map((x) => x.side),
      f.map((x) => x.quantity),
      f.map((x) => x.price),
      f.map((x) => x.mode),
      f.map((x) => x.fee),
      positions.map(([symbol]) => symbol),
      positions.map(([, p]) => p.quantity),
      positions.map(([, p]) => p.avgPrice),
      positions.map(([, p]) => p.realizedPnl),
      f.reduce((sum, x) => sum + x.realized, 0),
      this.checks.map((c) => c.signalId),
      this.checks.map((c) => c.check.step),
      this.checks.map((c) => c.check.outcome),
      this.checks.map((c) => c.check.detail ?? null),
      this.statuses.map((s) => s.signalId),
      this.statuses.map((s) => s.status),
      this.statuses.map((s) => s.reason),
    ]);
    if (rows[0]?.orders !== f.length)
      throw new Error(
        `batch flush: ${f.length - (rows[0]?.orders ?? 0)} of ${f.length} orders already existed`,
      );
  }

  private settle(
    signalId: string,
    status: SignalStatus,
    reason: string | null,
    checks: readonly Check[],
  ): void {
    this.decided.set(signalId, status);
    for (const check of checks) this.checks.push({ signalId, check });
    this.statuses.push({ signalId, status, reason });
  }
}
