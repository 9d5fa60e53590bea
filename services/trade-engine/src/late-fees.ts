import type { Logger } from "@tradewire/logger";
import type { OrderFees } from "./execution/venue.js";
import type { EngineMetrics } from "./metrics.js";
import type { EngineStore } from "./store.js";

/**
 * Fees read late. A USD-M fill whose fees could not be read (VenueOrder.feesUnread) is recorded at
 * once with a fee of 0, so what executed is booked and guarded; the fill keeps why in
 * `engine_fills.fees_unread`. Reconciliation reads the fees of such orders once they have ended
 * and records them here, with the PnL they take.
 */

/** An order whose fees were not read when its fills were recorded. */
export interface UnreadFees {
  orderId: string;
  clientOrderId: string;
  signalId: string;
  symbol: string;
}

/**
 * $1 such an order, $2 what it paid in all (quote asset). What that adds to the fees its fills
 * recorded goes on the last fill recorded unread, and comes off the position's PnL and that fill's
 * day's. Each CTE sees the rows as they were before the statement: `u` clears the unread marks only
 * if they are still there (a second amendment of the order, another replica's, changes nothing),
 * and the PnL moves only if it did.
 */
const AMEND_FEES = `WITH f AS (
  SELECT sum(fee) AS recorded, max(id) FILTER (WHERE fees_unread IS NOT NULL) AS last,
    max(at) FILTER (WHERE fees_unread IS NOT NULL) AS at
  FROM engine_fills WHERE order_id = $1
), u AS (
  UPDATE engine_fills SET fee = CASE WHEN id = f.last THEN fee + ($2::numeric - f.recorded) ELSE fee END,
    fees_unread = NULL
  FROM f WHERE order_id = $1 AND fees_unread IS NOT NULL
  RETURNING id
), added AS (
  SELECT round($2::numeric - recorded, 8)::float8 AS v, at FROM f WHERE EXISTS (SELECT 1 FROM u)
), p AS (
  UPDATE engine_positions SET realized_pnl = round((realized_pnl - added.v)::numeric, 8)::float8, updated_at = now()
  FROM added WHERE symbol = (SELECT symbol FROM engine_orders WHERE order_id = $1)
), d AS (
  UPDATE engine_daily_pnl SET realized = round((realized - added.v)::numeric, 8)::float8
  FROM added WHERE day = (added.at AT TIME ZONE 'utc')::date
)
SELECT v AS added FROM added`;

/** Records what an order paid (see AMEND_FEES): what was added, or undefined when nothing was unread any more. */
export async function amendFees(
  store: EngineStore,
  orderId: string,
  paid: number,
): Promise<number | undefined> {
  const { rows } = await store.query<{ added: number }>("engine_amend_fees", AMEND_FEES, [orderId, paid]);
  return rows[0]?.added;
}

/** Ended orders with fills recorded with their fees unread, oldest first. */
async function unreadFees(store: EngineStore, limit = 50): Promise<UnreadFees[]> {
  const { rows } = await store.query<UnreadFees>(
    "engine_unread_fees",
    `SELECT f.order_id AS "orderId", o.client_order_id AS "clientOrderId", o.signal_id AS "signalId", o.symbol
     FROM engine_fills f JOIN engine_orders o USING (order_id)
     WHERE f.fees_unread IS NOT NULL AND o.status NOT IN ('NEW', 'PARTIALLY_FILLED')
     GROUP BY 1, 2, 3, 4 ORDER BY min(f.id) LIMIT $1`,
    [limit],
  );
  return rows;
}

async function countUnreadFees(store: EngineStore): Promise<number> {
  const { rows } = await store.query<{ n: number }>(
    "engine_count_unread_fees",
    "SELECT count(*)::int AS n FROM engine_fills WHERE fees_unread IS NOT NULL",
    [],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Reads the fees of ended orders recorded with them unread and has the engine record them (`amend`,
 * under its lock); one still unreadable is said at warn and asked again next round. Returns how
 * many were recorded; the gauge shows how many fills are left.
 */
export async function readLateFees(deps: {
  store: EngineStore;
  read: (symbol: string, orderId: string) => Promise<OrderFees>;
  amend: (order: UnreadFees, fees: OrderFees) => Promise<number | undefined>;
  metrics: EngineMetrics;
  log: Logger;
}): Promise<number> {
  const { store, read, amend, metrics, log } = deps;
  let recorded = 0;
  for (const order of await unreadFees(store)) {
    try {
      const added = await amend(order, await read(order.symbol, order.orderId));
      if (added === undefined) continue;
      recorded += 1;
      log.info("reconcile: fees read late and recorded; the position's and the day's PnL amended", {
        ...order,
        added,
      });
    } catch (error) {
      log.warn("reconcile: fees still unread; asked again next round", { ...order, err: error });
    }
  }
  metrics.feesUnread.set(await countUnreadFees(store));
  return recorded;
}
