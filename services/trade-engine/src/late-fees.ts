import type { Logger } from "@tradewire/logger";
import type { OrderFees } from "./execution/venue.js";
import type { EngineMetrics } from "./metrics.js";
import type { EngineStore } from "./store.js";

/**
 * Fees read late. A USD-M fill whose fees could not be read (VenueOrder.feesUnread) is recorded at
 * once with a fee of 0, so what executed is booked and guarded; the fill keeps why in
 * `engine_fills.fees_unread`. A later increment of the same order whose fees are read catches up
 * what they add (its fee is the order's total less what was recorded). Once the order has ended,
 * reconciliation reads its fees and records here what is still missing (about 0 when an increment
 * caught up), with the PnL it takes, and clears the marks.
 */

/** An order whose fees were not read when its fills were recorded. */
export interface UnreadFees {
  orderId: string;
  clientOrderId: string;
  signalId: string;
  symbol: string;
}

/**
 * What recording an order's fees did: `added` to its fills (and taken off the PnL);
 * `recordedQuantity`: the trades read add up to less or more than the fills recorded, so nothing
 * was changed; `none`: no fill of it was unread any more (recorded meanwhile, by another replica).
 */
export type Amended = { added: number } | { recordedQuantity: string } | "none";

/**
 * $1 such an order, $2 what it paid in all (quote asset), $3 the quantity of the trades that says.
 * Only when those trades are all the order's fills recorded: what the fee adds to what they recorded
 * goes on the last fill recorded unread, and comes off the position's PnL and that fill's day's.
 * Each CTE sees the rows as they were before the statement: `u` clears the marks only if they are
 * still there (a second amendment changes nothing), and the PnL moves only if it did.
 */
const AMEND_FEES = `WITH f AS (
  SELECT sum(quantity) AS qty, sum(fee) AS recorded,
    max(id) FILTER (WHERE fees_unread IS NOT NULL) AS last, max(at) FILTER (WHERE fees_unread IS NOT NULL) AS at
  FROM engine_fills WHERE order_id = $1
), u AS (
  UPDATE engine_fills
  SET fee = CASE WHEN id = f.last THEN fee + round($2::numeric - f.recorded, 8) ELSE fee END, fees_unread = NULL
  FROM f WHERE order_id = $1 AND fees_unread IS NOT NULL AND f.qty = $3::numeric
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
SELECT (SELECT v FROM added) AS added, f.qty::text AS recorded, f.last IS NOT NULL AS unread,
  f.qty = $3::numeric AS matches
FROM f`;

/** Records an order's fees read late (see AMEND_FEES). */
export async function amendFees(
  store: EngineStore,
  orderId: string,
  paid: number,
  traded: string,
): Promise<Amended> {
  const { rows } = await store.query<{
    added: number | null;
    recorded: string | null;
    unread: boolean;
    matches: boolean | null;
  }>("engine_amend_fees", AMEND_FEES, [orderId, paid, traded]);
  const [row] = rows;
  if (row === undefined || !row.unread) return "none";
  if (row.added !== null) return { added: row.added };
  // Unread, and the trades add up, yet nothing changed: amended meanwhile by another replica.
  return row.matches ? "none" : { recordedQuantity: row.recorded ?? "0" };
}

/** Orders asked about per round at most (a trades read weighs 5). */
const PER_ROUND = 20;
/** An order that keeps failing is asked every 64th round at most (about an hour at the default 60 s). */
const MAX_ROUNDS_APART = 64;

/**
 * Each round (reconciliation's): reads the fees of ended orders recorded with them unread and has
 * the engine record them. An order whose fees still cannot be read, or whose trades do not add up
 * to its fills, is said at warn and asked again at the next round, then 2, 4... up to 64 rounds
 * later, so a few that never read neither hold back the others nor spend the request weight.
 */
export class LateFees {
  private round = 0;
  private readonly retry = new Map<string, { attempts: number; round: number }>();

  constructor(
    private readonly deps: {
      store: EngineStore;
      read: (symbol: string, orderId: string) => Promise<OrderFees>;
      /** The engine: prices what was paid in other assets, then records it under its lock. */
      record: (order: UnreadFees, fees: OrderFees) => Promise<Amended>;
      metrics: EngineMetrics;
      log: Logger;
    },
  ) {}

  /** Returns how many orders had their fees recorded; the gauge shows how many fills are left. */
  async run(): Promise<number> {
    const { store, read, record, metrics, log } = this.deps;
    const round = ++this.round;
    const due = (await unreadFees(store))
      .filter((o) => (this.retry.get(o.orderId)?.round ?? 0) <= round)
      .slice(0, PER_ROUND);
    let recorded = 0;
    for (const order of due) {
      let fees: OrderFees;
      try {
        fees = await read(order.symbol, order.orderId);
      } catch (error) {
        this.later(order, round, "its fees could not be read", { err: error });
        continue;
      }
      try {
        const amended = await record(order, fees);
        if (amended === "none") {
          this.retry.delete(order.orderId);
          continue;
        }
        if ("recordedQuantity" in amended) {
          this.later(order, round, "its trades do not add up to the fills recorded", {
            traded: fees.quantity,
            recorded: amended.recordedQuantity,
          });
          continue;
        }
        this.retry.delete(order.orderId);
        recorded += 1;
        log.info("reconcile: fees read late and recorded; the position's and the day's PnL amended", {
          ...order,
          added: amended.added,
        });
      } catch (error) {
        // Read, and not stored (the database, the books not reloaded): tried again next round.
        log.error("reconcile: fees read late could not be recorded; tried again next round", {
          ...order,
          err: error,
        });
      }
    }
    metrics.feesUnread.set(await countUnreadFees(store));
    return recorded;
  }

  private later(order: UnreadFees, round: number, why: string, fields: Record<string, unknown>): void {
    const attempts = (this.retry.get(order.orderId)?.attempts ?? 0) + 1;
    const roundsApart = Math.min(MAX_ROUNDS_APART, 2 ** (attempts - 1));
    this.retry.set(order.orderId, { attempts, round: round + roundsApart });
    this.deps.log.warn(`reconcile: fees still unread (${why}); asked again later`, {
      ...order,
      ...fields,
      attempts,
      roundsApart,
    });
  }
}

/** Ended orders with fills recorded with their fees unread, oldest first. */
async function unreadFees(store: EngineStore): Promise<UnreadFees[]> {
  const { rows } = await store.query<UnreadFees>(
    "engine_unread_fees",
    `SELECT f.order_id AS "orderId", o.client_order_id AS "clientOrderId", o.signal_id AS "signalId", o.symbol
     FROM engine_fills f JOIN engine_orders o USING (order_id)
     WHERE f.fees_unread IS NOT NULL AND o.status NOT IN ('NEW', 'PARTIALLY_FILLED')
     GROUP BY 1, 2, 3, 4 ORDER BY min(f.id) LIMIT 500`,
    [],
  );
  return rows;
}

/** Fills of ended orders whose fees are unread: what reconciliation still owes (a working order's next increments may catch up). */
async function countUnreadFees(store: EngineStore): Promise<number> {
  const { rows } = await store.query<{ n: number }>(
    "engine_count_unread_fees",
    `SELECT count(*)::int AS n FROM engine_fills f JOIN engine_orders o USING (order_id)
     WHERE f.fees_unread IS NOT NULL AND o.status NOT IN ('NEW', 'PARTIALLY_FILLED')`,
    [],
  );
  return rows[0]?.n ?? 0;
}
