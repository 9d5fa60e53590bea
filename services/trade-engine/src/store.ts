import { randomUUID } from "node:crypto";
import type { Logger } from "@tradewire/logger";
import { parseOrThrow } from "@tradewire/schemas";
import pg from "pg";
import type { Check } from "./decide.js";
import { VenueProtection } from "./execution/venue.js";
import type { OutgoingOrderEvent } from "./order-events.js";
import type { Position } from "./paper.js";
import type { Protection } from "./protection.js";
import type { OrderRequest } from "./request.js";
import { SentDecision } from "./sent-decision.js";

/** Idempotent schema, created in the connection's search_path (no hard-coded schema). */
const MIGRATIONS = `
CREATE TABLE IF NOT EXISTS engine_signals (
  signal_id text PRIMARY KEY,
  source text NOT NULL,
  strategy_id text NOT NULL,
  symbol text NOT NULL,
  action text NOT NULL,
  request jsonb NOT NULL,
  status text NOT NULL,
  reason text,
  received_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz
);
CREATE TABLE IF NOT EXISTS engine_signal_events (
  id bigserial PRIMARY KEY,
  signal_id text NOT NULL,
  step text NOT NULL,
  outcome text NOT NULL,
  detail text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS engine_signal_events_signal ON engine_signal_events (signal_id);
-- A decision's checks (and what is appended later: fills of a working order, a cancel) live on its
-- signal row as one JSON array: a batch of 100 signals writes 100 values, not a row per check.
-- engine_signal_events keeps what earlier versions wrote there; the lifecycle reads both.
ALTER TABLE engine_signals ADD COLUMN IF NOT EXISTS checks jsonb NOT NULL DEFAULT '[]'::jsonb;
-- The execute decision of a signal whose order went to an exchange, stored before it was sent
-- (see sent-decision.ts): a resume records that order whatever a new decision would say.
ALTER TABLE engine_signals ADD COLUMN IF NOT EXISTS sent jsonb;
-- The claim's lease runs from here when its holder renewed it (a decision waiting on the exchange).
ALTER TABLE engine_signals ADD COLUMN IF NOT EXISTS renewed_at timestamptz;
-- The process whose claim it is (set when claimed, moved when taken over).
ALTER TABLE engine_signals ADD COLUMN IF NOT EXISTS holder text;
CREATE TABLE IF NOT EXISTS engine_orders (
  order_id text PRIMARY KEY,
  client_order_id text NOT NULL UNIQUE,
  signal_id text NOT NULL,
  symbol text NOT NULL,
  side text NOT NULL,
  type text NOT NULL,
  quantity numeric NOT NULL,
  price numeric,
  status text NOT NULL,
  mode text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS engine_fills (
  id bigserial PRIMARY KEY,
  order_id text NOT NULL REFERENCES engine_orders(order_id),
  quantity numeric NOT NULL,
  price numeric NOT NULL,
  fee numeric NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
-- Commission paid in the base asset (a spot BUY): in fee too, priced; the position got this less.
ALTER TABLE engine_fills ADD COLUMN IF NOT EXISTS base_fee numeric NOT NULL DEFAULT 0;
-- Why the order's fees could not be read when this was recorded (fee 0 meanwhile); NULL: read.
-- Reconciliation reads them later, amends the fill, the position's and the day's PnL, and clears it.
ALTER TABLE engine_fills ADD COLUMN IF NOT EXISTS fees_unread text;
CREATE INDEX IF NOT EXISTS engine_fills_fees_unread ON engine_fills (order_id) WHERE fees_unread IS NOT NULL;
-- What a long-running engine looks up by key, so no lookup scans the whole history: an order's
-- fills (each increment of a working order sums them), a signal's orders (its lifecycle), and the
-- orders still working (loaded at start, reconciled, listed).
CREATE INDEX IF NOT EXISTS engine_fills_order ON engine_fills (order_id);
-- A resting BUY/SELL admitted as a reduce of the position: it stays one (it closes no more than is
-- held when it fills, never flips), however the position changes meanwhile.
ALTER TABLE engine_orders ADD COLUMN IF NOT EXISTS reduce_only boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS engine_orders_signal ON engine_orders (signal_id);
CREATE INDEX IF NOT EXISTS engine_orders_working ON engine_orders (created_at)
  WHERE status IN ('NEW', 'PARTIALLY_FILLED');
-- GET /orders: the latest 500, read backwards without sorting the whole history.
CREATE INDEX IF NOT EXISTS engine_orders_created ON engine_orders (created_at);
CREATE TABLE IF NOT EXISTS engine_positions (
  symbol text PRIMARY KEY,
  quantity double precision NOT NULL,
  avg_price double precision NOT NULL,
  realized_pnl double precision NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS engine_daily_pnl (day date PRIMARY KEY, realized double precision NOT NULL);
CREATE TABLE IF NOT EXISTS engine_state (key text PRIMARY KEY, value jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS engine_protections (
  symbol text PRIMARY KEY,
  signal_id text NOT NULL,
  strategy_id text NOT NULL,
  direction smallint NOT NULL,
  stop_loss double precision,
  take_profit double precision,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Exchange-side orders guarding the position (testnet/live), by client id; NULL: engine-side only.
ALTER TABLE engine_protections ADD COLUMN IF NOT EXISTS venue jsonb;
-- Levels left with the engine for good (the market cannot hold them, or their orders were canceled
-- by hand); other levels without exchange orders are placed again (see Protection.engineOnly).
ALTER TABLE engine_protections ADD COLUMN IF NOT EXISTS engine_only boolean NOT NULL DEFAULT false;
-- Order events, written by the statement that stores what they announce and kept until they are
-- published (see outbox.ts). JSON as text: written on the hot path, read only after a crash, so
-- PostgreSQL need not parse it.
CREATE TABLE IF NOT EXISTS engine_outbox (
  batch_id text PRIMARY KEY,
  events text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Aborts a one-statement paper batch that found one of its claims or orders already stored.
CREATE OR REPLACE FUNCTION engine_abort_batch(reason text) RETURNS int LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'batch holds what was stored before: %', reason USING ERRCODE = 'TWB01';
END $fn$;
`;

/**
 * An undecided claim younger than this may still be resumed (redeliveries back off up to a minute,
 * 10 times): its order may have executed and not be recorded yet.
 */
export const UNDECIDED_RECENT_SECONDS = 900;

/** A decision's checks as stored in `engine_signals.checks`, each with its time. */
export function checkEntries(checks: readonly Check[], at: string) {
  return checks.map((c) => ({ step: c.step, outcome: c.outcome, detail: c.detail ?? null, at }));
}

/** $1 the signal id, $2 its checks as the JSON appended to the signal row. */
function checkParams(signalId: string, checks: readonly Check[]): [string, string] {
  return [signalId, JSON.stringify(checkEntries(checks, new Date().toISOString()))];
}

/**
 * The CTE `ob` storing order events with the write that makes them true, in its statement (the
 * outbox, see outbox.ts): parameters $n batch id, $n+1 events as JSON, $n+2 whether there are
 * any; `source` the rows it hangs off (e.g. "FROM o": only if the order row was written).
 */
export function outboxInsert(n: number, source = ""): string {
  return `ob AS (
  INSERT INTO engine_outbox (batch_id, events) SELECT $${n}, $${n + 1} ${source} WHERE $${n + 2}::boolean
)`;
}

/** $20-$25 of FILL_EFFECTS: whether the fill sets levels, and which. */
function levelParams(p: Protection | undefined): unknown[] {
  return p === undefined
    ? [false, null, null, null, null, null]
    : [true, p.signalId, p.strategyId, p.direction, p.stopLoss ?? null, p.takeProfit ?? null];
}

/** The parameters of `outboxInsert` for a row, or for none. */
export function outboxParams(row: OutboxRow | undefined): [string | null, string | null, boolean] {
  return row === undefined || row.events.length === 0
    ? [null, null, false]
    : [row.batchId, JSON.stringify(row.events), true];
}

/**
 * What a fill changes besides its order row, all hung off the CTE `o` (the order row written):
 * the fill, the position, today's PnL, the checks and the signal's status. Parameters: $1 signal
 * id, $2 its checks (JSON), $3 order id, $4 client order id, $5 symbol, $6 side, $7 quantity, $8 price, $9 mode,
 * $10 fee, $11-$13 position, $14 realized PnL, $15 order type, $16-$18 the outbox row, $19 the
 * commission paid in the base asset, $20-$25 the stop-loss / take-profit levels the fill sets (see
 * `FillRecord.levels`; $20 false: none), $26 why the fees could not be read (or null).
 */
const FILL_EFFECTS = `f AS (
  INSERT INTO engine_fills (order_id, quantity, price, fee, base_fee, fees_unread)
  SELECT order_id, $7, $8, $10, $19, $26::text FROM o
), p AS (
  INSERT INTO engine_positions (symbol, quantity, avg_price, realized_pnl) SELECT $5, $11, $12, $13 FROM o
  ON CONFLICT (symbol) DO UPDATE SET quantity = $11, avg_price = $12, realized_pnl = $13, updated_at = now()
), d AS (
  INSERT INTO engine_daily_pnl (day, realized) SELECT (now() AT TIME ZONE 'utc')::date, $14 FROM o
  ON CONFLICT (day) DO UPDATE SET realized = round((engine_daily_pnl.realized + $14)::numeric, 8)::float8
), s AS (
  UPDATE engine_signals SET status = 'FILLED', decided_at = now(), checks = checks || $2::jsonb
  WHERE signal_id = $1 AND EXISTS (SELECT 1 FROM o)
), pr AS (
  INSERT INTO engine_protections (symbol, signal_id, strategy_id, direction, stop_loss, take_profit)
  SELECT $5, $21, $22, $23, $24, $25 FROM o WHERE $20::boolean
  ON CONFLICT (symbol) DO UPDATE
  SET signal_id = $21, strategy_id = $22, direction = $23, stop_loss = $24, take_profit = $25, created_at = now(),
    engine_only = false,
    -- Orders guarding the other direction (a flip) are not this protection's: forgotten here, canceled after.
    venue = CASE WHEN engine_protections.direction = $23 THEN engine_protections.venue END
), ${outboxInsert(16, "FROM o")}
SELECT count(*)::int AS n FROM o`;

/** $27: the ordered quantity when the fill is less (FillRecord.ordered), or null. */
const RECORD_FILL = `WITH o AS (
  INSERT INTO engine_orders (order_id, client_order_id, signal_id, symbol, side, type, quantity, price, status, mode)
  VALUES ($3, $4, $1, $5, $6, $15, coalesce($27::numeric, $7::numeric), $8,
    CASE WHEN $27::numeric > $7::numeric THEN 'CANCELED' ELSE 'FILLED' END, $9)
  ON CONFLICT (client_order_id) DO NOTHING RETURNING order_id
), ${FILL_EFFECTS}`;

/**
 * Every parameter is matched against the resting row: a fill can only finish the order it names.
 * A fill short of the row's quantity (a close clipped to what was held) ends it CANCELED.
 */
const RECORD_RESTING_FILL = `WITH o AS (
  UPDATE engine_orders
  SET status = CASE WHEN quantity > $7::numeric THEN 'CANCELED' ELSE 'FILLED' END, updated_at = now()
  WHERE order_id = $3 AND client_order_id = $4 AND signal_id = $1 AND symbol = $5 AND side = $6
    AND type = $15 AND mode = $9 AND status = 'NEW'
  RETURNING order_id
), ${FILL_EFFECTS}`;

/**
 * What more of a resting exchange LIMIT executed: its order row goes to `$27` (PARTIALLY_FILLED or
 * FILLED). Keyed on the fills recorded so far adding up to `$28`, so a second attempt at the same
 * increment (another replica, a retry) changes nothing and returns false.
 */
const RECORD_EXCHANGE_FILL = `WITH o AS (
  UPDATE engine_orders SET status = $27, updated_at = now()
  WHERE order_id = $3 AND client_order_id = $4 AND signal_id = $1 AND symbol = $5 AND side = $6
    AND type = $15 AND mode = $9 AND status IN ('NEW', 'PARTIALLY_FILLED')
    AND (SELECT coalesce(sum(quantity), 0) FROM engine_fills WHERE order_id = $3) = $28::numeric
  RETURNING order_id
), ${FILL_EFFECTS}`;

/**
 * `ABANDONED`: cut short after its order was sent, and found again only once reconciliation had
 * been free to correct its symbol as drift (see EngineStore.claim): what the order did is left to that.
 */
export type SignalStatus = "RECEIVED" | "HOLD" | "REJECTED" | "PLACED" | "FILLED" | "CANCELED" | "ABANDONED";

export type Claim =
  | { state: "new" }
  /**
   * Claimed before and undecided; `sent`: its decision went to an exchange (its order may be out);
   * `heldHere`: busy under this process's own claim (an attempt of its own that failed).
   */
  | { state: "resume" | "busy"; sent?: SentDecision; heldHere?: boolean }
  | { state: "duplicate"; status: SignalStatus };

/**
 * A paper or exchange fill: its order (type MARKET, LIMIT, or the exchange-side exit's OCO,
 * STOP_MARKET, TAKE_PROFIT_MARKET; quantity and price as filled) with the fee, the position and
 * the realized PnL it leads to.
 */
export interface FillRecord extends Omit<OrderRow, "status"> {
  /** In the quote asset, including `baseFee` priced at the fill. */
  fee: string;
  /** Commission paid in the base asset: the position received this much less than `quantity`. */
  baseFee: string;
  position: Position;
  realized: number;
  /**
   * The order's quantity, when more than this fill and the order is done with it (a one-shot order
   * whose rest expired): its row keeps what was ordered and ends CANCELED, not FILLED; the fill
   * holds what executed.
   */
  ordered?: string;
  /** Why its fees could not be read (VenueOrder.feesUnread): reconciliation reads them later. */
  feesUnread?: string;
  /**
   * The stop-loss / take-profit an entry's fill sets, stored by the fill's own statement: a crash or
   * a failed write after it never leaves the position without them. Its exchange orders (if any)
   * are stored once placed; the row keeps those of the levels it replaces until they are canceled.
   */
  levels?: Protection;
}

/** How a one-shot order's row ends with its fill: what was ordered, CANCELED when less executed (RECORD_FILL does the same). */
export function orderEnd(o: FillRecord): { quantity: string; status: "FILLED" | "CANCELED" } {
  return o.ordered !== undefined && Number(o.ordered) > Number(o.quantity)
    ? { quantity: o.ordered, status: "CANCELED" }
    : { quantity: o.quantity, status: "FILLED" };
}

/** Order events stored in the outbox by the statement of the write they announce. */
export interface OutboxRow {
  batchId: string;
  events: readonly OutgoingOrderEvent[];
}

/**
 * What one decision writes, with the order events each write makes true (stored with it, published
 * once it is stored). DirectStore writes at once; BatchWriter at its batch's end.
 */
export interface DecisionStore {
  claim(req: OrderRequest): Promise<Claim>;
  finish(
    signalId: string,
    status: SignalStatus,
    reason: string | undefined,
    checks: readonly Check[],
    events?: readonly OutgoingOrderEvent[],
  ): Promise<void>;
  recordFill(
    o: FillRecord,
    checks: readonly Check[],
    events?: readonly OutgoingOrderEvent[],
  ): Promise<boolean>;
  setProtection(p: Protection): Promise<void>;
  clearProtection(symbol: string): Promise<void>;
  insertOrder(o: OrderRow): Promise<void>;
}

/** Every status an order row takes, in the order it can take them. */
export const ORDER_STATUSES = ["NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** An order row as inserted without a fill: a resting LIMIT, or an order adopted from the exchange. */
export interface OrderRow {
  orderId: string;
  clientOrderId: string;
  signalId: string;
  symbol: string;
  side: string;
  type: string;
  quantity: string;
  price: string;
  status: OrderStatus;
  mode: string;
  /** Admitted as a reduce of the position (see RestingOrder.reduceOnly). */
  reduceOnly?: boolean;
}

export interface UndecidedSignal {
  id: string;
  symbol: string;
  /** Claimed in the last UNDECIDED_RECENT_SECONDS: its decision may still record a fill. */
  recent: boolean;
  reduce: boolean;
  /**
   * Set when its order went to an exchange (a decision stored as sent), no holder renews its lease
   * (a run that stopped after the POST) and it is recent: reconciliation corrects an older one's
   * symbol as drift, so resuming it then would count what executed twice. The request as claimed,
   * to resume it with.
   */
  cutShortRequest?: unknown;
}

/** A claim found undecided, with the decision it sent to an exchange if any. */
function undecidedClaim(
  state: "resume" | "busy",
  signalId: string,
  sent: unknown,
): Extract<Claim, { state: "resume" | "busy" }> {
  if (sent == null) return { state };
  return { state, sent: parseOrThrow(SentDecision, `engine_signals.sent (${signalId})`, sent) };
}

/** The engine's tables; a write that announces order events takes their outbox row (see DirectStore). */
export class EngineStore {
  /** This process, as the holder of the claims it makes or takes over. */
  private readonly holder = randomUUID();

  constructor(
    readonly pool: pg.Pool,
    private readonly claimLeaseSeconds = 30,
  ) {}

  /** A named statement (prepared once per connection of the pool). */
  query<R extends pg.QueryResultRow>(
    name: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>({ name, text, values });
  }

  /**
   * A pool named `trade-engine` in pg_stat_activity (unless the URL names it). An idle connection
   * the server drops (a PostgreSQL restart, a proxy, pg_terminate_backend) is said at warn and left
   * for the pool to replace: without a listener, node-postgres' pool error would crash the process.
   */
  static connect(url: string, log: Logger, claimLeaseSeconds = 30, statementTimeoutMs = 30_000): EngineStore {
    const pool = new pg.Pool({
      connectionString: url,
      max: 8,
      application_name: "trade-engine",
      // A database that stops answering fails a call instead of holding every decision behind it:
      // a connect is bounded, and a statement is canceled by the server after `statementTimeoutMs`.
      // A server that does not answer at all (it hangs, or a failover left the connection open to a
      // peer that is gone) cannot cancel: the client gives up a third later and drops the connection,
      // where TCP would wait many minutes. Keepalive finds such a peer under an idle connection.
      connectionTimeoutMillis: 10_000,
      statement_timeout: statementTimeoutMs,
      query_timeout: Math.round((statementTimeoutMs * 4) / 3),
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    pool.on("error", (error) =>
      log.warn("idle PostgreSQL connection lost; the pool opens a new one when needed", { err: error }),
    );
    return new EngineStore(pool, claimLeaseSeconds);
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ schema: string | null; path: string }>(
        "SELECT current_schema() AS schema, current_setting('search_path') AS path",
      );
      if (rows[0]?.schema == null)
        throw new Error(
          `DATABASE_URL selects no schema that exists (search_path: ${rows[0]?.path}): create it (CREATE SCHEMA ...) or fix the URL's options=-csearch_path=...`,
        );
      await client.query("SELECT pg_advisory_lock(hashtext(current_schema() || ':trade-engine'))");
      await client.query(MIGRATIONS);
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext(current_schema() || ':trade-engine'))");
      client.release();
    }
  }

  /**
   * The dedup point (F22): the first insert of an id wins, across restarts and replicas. Returns
   * "new", "busy" (being decided elsewhere right now), "resume" (claimed longer ago than the lease and never
   * decided: a crash mid-way) or "duplicate" with its final status.
   */
  async claim(req: OrderRequest): Promise<Claim> {
    const inserted = await this.pool.query({
      // Named: prepared once per connection, not parsed and planned again for every signal.
      name: "engine_claim",
      text: `INSERT INTO engine_signals (signal_id, source, strategy_id, symbol, action, request, status, holder)
       VALUES ($1, $2, $3, $4, $5, $6, 'RECEIVED', $7) ON CONFLICT (signal_id) DO NOTHING RETURNING signal_id`,
      values: [req.id, req.source, req.strategyId, req.symbol, req.action, JSON.stringify(req), this.holder],
    });
    if (inserted.rowCount === 1) return { state: "new" };
    // Cut short after its order was sent, so long ago that reconciliation was free to correct its
    // symbol as drift (it waits UNDECIDED_RECENT_SECONDS): resumed now, what the order did would
    // count twice. Closed instead, and left to reconciliation.
    const abandoned = await this.pool.query({
      name: "engine_abandon_claim",
      text: `UPDATE engine_signals SET status = 'ABANDONED', decided_at = now(), reason = $4
       WHERE signal_id = $1 AND status = 'RECEIVED' AND sent IS NOT NULL
         AND received_at <= now() - make_interval(secs => $2)
         AND coalesce(renewed_at, received_at) <= now() - make_interval(secs => $3)
       RETURNING signal_id`,
      values: [
        req.id,
        UNDECIDED_RECENT_SECONDS,
        this.claimLeaseSeconds,
        `cut short after its order was sent, and found again more than ${UNDECIDED_RECENT_SECONDS} s later: what the order did is left to reconciliation (corrected as drift)`,
      ],
    });
    if (abandoned.rowCount === 1) return { state: "duplicate", status: "ABANDONED" };
    // Undecided and nobody renewing its lease (a run stopped mid-way): taken over by moving the
    // lease, so of two replicas that find it so (a redelivery, reconciliation) only one resumes it.
    const taken = await this.pool.query<{ sent: unknown }>({
      name: "engine_take_over_claim",
      text: `UPDATE engine_signals SET renewed_at = now(), holder = $3
       WHERE signal_id = $1 AND status = 'RECEIVED'
         AND coalesce(renewed_at, received_at) <= now() - make_interval(secs => $2)
       RETURNING sent`,
      values: [req.id, this.claimLeaseSeconds, this.holder],
    });
    const takenOver = taken.rows[0];
    if (takenOver !== undefined) return undecidedClaim("resume", req.id, takenOver.sent);
    const { rows } = await this.pool.query<{ status: SignalStatus; sent: unknown; holder: string | null }>(
      "SELECT status, sent, holder FROM engine_signals WHERE signal_id = $1",
      [req.id],
    );
    const row = rows[0];
    if (row !== undefined && row.status !== "RECEIVED") return { state: "duplicate", status: row.status };
    // On it right now: another replica (its lease renewed, or just taken over), or this process.
    return { ...undecidedClaim("busy", req.id, row?.sent), heldHere: row?.holder === this.holder };
  }

  /** Renews the lease of a claim still undecided, so no replica resumes it while its holder works. */
  async renewClaim(signalId: string): Promise<void> {
    await this.pool.query({
      name: "engine_renew_claim",
      text: "UPDATE engine_signals SET renewed_at = now() WHERE signal_id = $1 AND status = 'RECEIVED'",
      values: [signalId],
    });
  }

  /** Stores the decision whose order is about to go to an exchange (see SentDecision). */
  async markSent(signalId: string, sent: SentDecision): Promise<void> {
    await this.pool.query({
      name: "engine_mark_sent",
      text: "UPDATE engine_signals SET sent = $2 WHERE signal_id = $1",
      values: [signalId, JSON.stringify(sent)],
    });
  }

  /** The decision's checks, the final status and its order events, in one statement (one round trip). */
  async finish(
    signalId: string,
    status: SignalStatus,
    reason: string | undefined,
    checks: readonly Check[],
    outbox?: OutboxRow,
  ): Promise<void> {
    await this.pool.query({
      name: "engine_finish",
      text: `WITH ${outboxInsert(5)}
       UPDATE engine_signals SET status = $3, reason = $4, decided_at = now(), checks = checks || $2::jsonb
       WHERE signal_id = $1`,
      values: [...checkParams(signalId, checks), status, reason ?? null, ...outboxParams(outbox)],
    });
  }

  /**
   * Order, fill, position, daily PnL, the decision's checks and the signal's status in ONE
   * statement (data-modifying CTEs are atomic): one round trip instead of seven. Everything hangs
   * off the order insert, so a retry whose order row exists changes nothing and returns false.
   */
  recordFill(o: FillRecord, checks: readonly Check[], outbox?: OutboxRow): Promise<boolean> {
    return this.writeFill("engine_record_fill", RECORD_FILL, o, checks, outbox, [o.ordered ?? null]);
  }

  /**
   * The same for a resting paper LIMIT: its order row goes NEW → FILLED. Keyed on the order still
   * being NEW, so a second attempt (another replica, a retry) changes nothing and returns false.
   */
  recordRestingFill(o: FillRecord, checks: readonly Check[], outbox?: OutboxRow): Promise<boolean> {
    return this.writeFill("engine_record_resting_fill", RECORD_RESTING_FILL, o, checks, outbox);
  }

  /**
   * An increment of a resting exchange LIMIT (`o.quantity` more at `o.price`), with the order's
   * status after it; false when `recordedBefore` is no longer what was recorded (done elsewhere).
   */
  recordExchangeFill(
    o: FillRecord,
    checks: readonly Check[],
    step: { status: "PARTIALLY_FILLED" | "FILLED"; recordedBefore: string },
    outbox?: OutboxRow,
  ): Promise<boolean> {
    return this.writeFill("engine_record_exchange_fill", RECORD_EXCHANGE_FILL, o, checks, outbox, [
      step.status,
      step.recordedBefore,
    ]);
  }

  private async writeFill(
    name: string,
    text: string,
    o: FillRecord,
    checks: readonly Check[],
    outbox: OutboxRow | undefined,
    extra: unknown[] = [],
  ) {
    const { rows } = await this.query<{ n: number }>(name, text, [
      ...checkParams(o.signalId, checks),
      o.orderId,
      o.clientOrderId,
      o.symbol,
      o.side,
      o.quantity,
      o.price,
      o.mode,
      o.fee,
      o.position.quantity,
      o.position.avgPrice,
      o.position.realizedPnl,
      o.realized,
      o.type,
      ...outboxParams(outbox),
      o.baseFee,
      ...levelParams(o.levels),
      o.feesUnread ?? null,
      ...extra,
    ]);
    return rows[0]?.n === 1;
  }

  async setProtection(p: Protection): Promise<void> {
    await this.pool.query(
      `INSERT INTO engine_protections (symbol, signal_id, strategy_id, direction, stop_loss, take_profit, venue, engine_only)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (symbol) DO UPDATE
       SET signal_id = $2, strategy_id = $3, direction = $4, stop_loss = $5, take_profit = $6, venue = $7,
         engine_only = $8, created_at = now()`,
      [
        p.symbol,
        p.signalId,
        p.strategyId,
        p.direction,
        p.stopLoss ?? null,
        p.takeProfit ?? null,
        p.venue === undefined ? null : JSON.stringify(p.venue),
        p.engineOnly === true,
      ],
    );
  }

  async clearProtection(symbol: string): Promise<void> {
    await this.pool.query("DELETE FROM engine_protections WHERE symbol = $1", [symbol]);
  }

  async protections(): Promise<Protection[]> {
    const { rows } = await this.pool.query<{
      symbol: string;
      signal_id: string;
      strategy_id: string;
      direction: number;
      stop_loss: number | null;
      take_profit: number | null;
      venue: unknown;
      engine_only: boolean;
    }>(
      "SELECT symbol, signal_id, strategy_id, direction, stop_loss, take_profit, venue, engine_only FROM engine_protections",
    );
    return rows.map((r) => ({
      symbol: r.symbol,
      signalId: r.signal_id,
      strategyId: r.strategy_id,
      direction: r.direction === 1 ? 1 : -1,
      stopLoss: r.stop_loss ?? undefined,
      takeProfit: r.take_profit ?? undefined,
      ...(r.engine_only ? { engineOnly: true as const } : {}),
      // Parsed, not cast: a row that does not fit fails the load naming the field and value.
      ...(r.venue === null
        ? {}
        : { venue: parseOrThrow(VenueProtection, `engine_protections.venue (${r.symbol})`, r.venue) }),
    }));
  }

  async positions(): Promise<Map<string, Position>> {
    const { rows } = await this.pool.query<{
      symbol: string;
      quantity: number;
      avg_price: number;
      realized_pnl: number;
    }>("SELECT * FROM engine_positions");
    return new Map(
      rows.map((r) => [
        r.symbol,
        { quantity: r.quantity, avgPrice: r.avg_price, realizedPnl: r.realized_pnl },
      ]),
    );
  }

  /**
   * When each strategy last placed or filled an order on each symbol, within the last `seconds`
   * (`strategy|symbol` → ms): the cooldowns a restart must not forget. Read off the recent orders
   * (the index on created_at), so a resting order filled now that was placed before the window is
   * not among them.
   */
  async recentExecutions(seconds: number): Promise<Map<string, number>> {
    // As ages on PostgreSQL's clock, made times on this process's: the cooldown is read against it.
    const { rows } = await this.pool.query<{ strategy_id: string; symbol: string; age_ms: number }>(
      `SELECT s.strategy_id, o.symbol, extract(epoch FROM now() - max(o.created_at))::float8 * 1000 AS age_ms
       FROM engine_orders o JOIN engine_signals s ON s.signal_id = o.signal_id
       WHERE o.created_at > now() - make_interval(secs => $1)
       GROUP BY s.strategy_id, o.symbol`,
      [seconds],
    );
    const now = Date.now();
    return new Map(rows.map((r) => [`${r.strategy_id}|${r.symbol}`, now - r.age_ms]));
  }

  /** Today's realized PnL (UTC), persisted so a restart does not reset the loss limit (F29). */
  async dailyRealized(): Promise<number> {
    const { rows } = await this.pool.query<{ realized: number }>(
      "SELECT realized FROM engine_daily_pnl WHERE day = (now() AT TIME ZONE 'utc')::date",
    );
    return rows[0]?.realized ?? 0;
  }

  async getState<T>(key: string): Promise<T | undefined> {
    const { rows } = await this.pool.query<{ value: T }>("SELECT value FROM engine_state WHERE key = $1", [
      key,
    ]);
    return rows[0]?.value;
  }

  async setState(key: string, value: unknown): Promise<void> {
    await this.pool.query(
      "INSERT INTO engine_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2",
      [key, JSON.stringify(value)],
    );
  }

  async signal(id: string) {
    const signal = await this.pool.query(
      "SELECT signal_id, source, strategy_id, symbol, action, status, reason, received_at, decided_at, request FROM engine_signals WHERE signal_id = $1",
      [id],
    );
    if (signal.rowCount === 0) return undefined;
    // Rows an earlier version wrote per check, then the checks on the signal row, in order.
    const events = await this.pool.query(
      `SELECT step, outcome, detail, at FROM (
         SELECT step, outcome, detail, at, 0 AS part, id AS n FROM engine_signal_events WHERE signal_id = $1
         UNION ALL
         SELECT c->>'step', c->>'outcome', c->>'detail', (c->>'at')::timestamptz, 1, n
         FROM engine_signals, jsonb_array_elements(checks) WITH ORDINALITY AS t(c, n) WHERE signal_id = $1
       ) e ORDER BY part, n`,
      [id],
    );
    const orders = await this.pool.query(
      "SELECT order_id, client_order_id, side, type, quantity::text, price::text, status, mode, created_at FROM engine_orders WHERE signal_id = $1",
      [id],
    );
    const fills = await this.pool.query(
      "SELECT f.order_id, f.quantity::text, f.price::text, f.fee::text, f.fees_unread, f.at FROM engine_fills f JOIN engine_orders o USING (order_id) WHERE o.signal_id = $1",
      [id],
    );
    return { ...signal.rows[0], events: events.rows, orders: orders.rows, fills: fills.rows };
  }

  /** The latest 500 orders, of one status or all. */
  async orders(status?: OrderStatus) {
    const { rows } = await this.pool.query(
      `SELECT order_id, client_order_id, signal_id, symbol, side, type, quantity::text, price::text, status, mode, created_at
       FROM engine_orders WHERE $1::text IS NULL OR status = $1 ORDER BY created_at DESC LIMIT 500`,
      [status ?? null],
    );
    return rows;
  }

  async hasOrder(clientOrderId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query("SELECT 1 FROM engine_orders WHERE client_order_id = $1", [
      clientOrderId,
    ]);
    return rowCount === 1;
  }

  /**
   * Signals claimed and not decided yet (a decision under way, or one a crash cut short): an order
   * for one may be on the exchange. `reduce`: its sent decision reduced the position without being a
   * CLOSE, so an order adopted for it stays a reduce (see RestingOrder.reduceOnly).
   */
  async undecidedSignals(): Promise<UndecidedSignal[]> {
    const { rows } = await this.pool.query<{
      signal_id: string;
      symbol: string;
      recent: boolean;
      reduce: boolean;
      cut_short_request: unknown;
    }>(
      `SELECT signal_id, symbol, received_at > now() - make_interval(secs => $1) AS recent,
         coalesce((sent->>'closing')::boolean, false) AND action <> 'CLOSE' AS reduce,
         CASE WHEN sent IS NOT NULL AND coalesce(renewed_at, received_at) <= now() - make_interval(secs => $2)
           AND received_at > now() - make_interval(secs => $1) THEN request END AS cut_short_request
       FROM engine_signals WHERE status = 'RECEIVED'`,
      [UNDECIDED_RECENT_SECONDS, this.claimLeaseSeconds],
    );
    return rows.map((r) => ({
      id: r.signal_id,
      symbol: r.symbol,
      recent: r.recent,
      reduce: r.reduce,
      ...(r.cut_short_request === null ? {} : { cutShortRequest: r.cut_short_request }),
    }));
  }

  /** A resting paper LIMIT, or an order found on the exchange for one of our signals (reconciliation). */
  async insertOrder(o: OrderRow): Promise<void> {
    await this.pool.query(
      `INSERT INTO engine_orders (order_id, client_order_id, signal_id, symbol, side, type, quantity, price, status, mode, reduce_only)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (client_order_id) DO NOTHING`,
      [
        o.orderId,
        o.clientOrderId,
        o.signalId,
        o.symbol,
        o.side,
        o.type,
        o.quantity,
        o.price,
        o.status,
        o.mode,
        o.reduceOnly ?? false,
      ],
    );
  }

  /** A position corrected to the exchange (reconciliation), with what that realized added to it and to today's PnL. */
  async correctPosition(symbol: string, quantity: number, avgPrice: number, realized: number): Promise<void> {
    await this.pool.query(
      `WITH p AS (
         INSERT INTO engine_positions (symbol, quantity, avg_price, realized_pnl) VALUES ($1, $2, $3, $4)
         ON CONFLICT (symbol) DO UPDATE SET quantity = $2, avg_price = $3,
           realized_pnl = round((engine_positions.realized_pnl + $4)::numeric, 8)::float8, updated_at = now()
       )
       INSERT INTO engine_daily_pnl (day, realized) SELECT (now() AT TIME ZONE 'utc')::date, $4 WHERE $4 <> 0
       ON CONFLICT (day) DO UPDATE SET realized = round((engine_daily_pnl.realized + $4)::numeric, 8)::float8`,
      [symbol, quantity, avgPrice, realized],
    );
  }

  async ping(): Promise<boolean> {
    await this.pool.query("SELECT 1");
    return true;
  }
}
