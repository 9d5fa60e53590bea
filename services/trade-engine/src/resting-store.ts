import type { OrderRequest } from "./request.js";
import type { RestingOrder } from "./resting.js";
import { type EngineStore, type OutboxRow, outboxInsert, outboxParams } from "./store.js";

/**
 * NEW (or partly filled) → CANCELED with the reason, and its event; the signal ends CANCELED unless
 * part of the order filled. False when it was no longer open.
 */
export async function cancelRestingOrder(
  store: EngineStore,
  o: RestingOrder,
  reason: string,
  outbox?: OutboxRow,
): Promise<boolean> {
  const { rows } = await store.query<{ n: number }>(
    "engine_cancel_resting",
    `WITH o AS (
       UPDATE engine_orders SET status = 'CANCELED', updated_at = now()
       WHERE client_order_id = $1 AND status IN ('NEW', 'PARTIALLY_FILLED') RETURNING order_id
     ), s AS (
       UPDATE engine_signals
       SET status = CASE WHEN status = 'FILLED' THEN status ELSE 'CANCELED' END, reason = $3, decided_at = now(),
         checks = checks || jsonb_build_array(jsonb_build_object(
           'step', 'cancel', 'outcome', 'reject', 'detail', $3::text, 'at', now()))
       WHERE signal_id = $2 AND EXISTS (SELECT 1 FROM o)
     ), ${outboxInsert(4, "FROM o")}
     SELECT count(*)::int AS n FROM o`,
    [o.clientOrderId, o.req.id, reason, ...outboxParams(outbox)],
  );
  return rows[0]?.n === 1;
}

/** The columns every resting order row is read with. */
interface RestingRow {
  order_id: string;
  client_order_id: string;
  side: "BUY" | "SELL";
  quantity: string;
  price: string;
  request: OrderRequest;
  reduce_only: boolean;
}

function restingOf(r: RestingRow): RestingOrder {
  return {
    req: r.request,
    orderId: r.order_id,
    clientOrderId: r.client_order_id,
    side: r.side,
    quantity: r.quantity,
    price: r.price,
    ...(r.reduce_only ? { reduceOnly: true } : {}),
  };
}

/** Paper LIMIT orders still open, with the requests that placed them (they survive restarts). */
export async function loadRestingOrders(store: EngineStore): Promise<RestingOrder[]> {
  const { rows } = await store.query<RestingRow>(
    "engine_resting_orders",
    `SELECT o.order_id, o.client_order_id, o.side, o.quantity::text, o.price::text, o.reduce_only, s.request
     FROM engine_orders o JOIN engine_signals s USING (signal_id)
     WHERE o.status = 'NEW' AND o.type = 'LIMIT' AND o.mode = 'paper' ORDER BY o.created_at`,
    [],
  );
  return rows.map(restingOf);
}

/** What of a working exchange order is recorded: the executed quantity (exact text), its quote and fees. */
export interface Recorded {
  quantity: string;
  quote: number;
  fee: number;
  baseFee: number;
}

/** Exchange orders still working (NEW or partly filled), with what of them is recorded. */
export async function loadWorkingOrders(
  store: EngineStore,
): Promise<(RestingOrder & { recorded: Recorded })[]> {
  const { rows } = await store.query<
    RestingRow & { type: "LIMIT" | "MARKET"; filled: string; quote: number; fee: number; base_fee: number }
  >(
    "engine_working_orders",
    `SELECT o.order_id, o.client_order_id, o.side, o.type, o.quantity::text, o.price::text, o.reduce_only, s.request,
       coalesce(sum(f.quantity), 0)::text AS filled, coalesce(sum(f.quantity * f.price), 0)::float8 AS quote,
       coalesce(sum(f.fee), 0)::float8 AS fee, coalesce(sum(f.base_fee), 0)::float8 AS base_fee
     FROM engine_orders o JOIN engine_signals s USING (signal_id) LEFT JOIN engine_fills f USING (order_id)
     WHERE o.status IN ('NEW', 'PARTIALLY_FILLED') AND o.type IN ('LIMIT', 'MARKET') AND o.mode <> 'paper'
     GROUP BY o.order_id, s.request ORDER BY min(o.created_at)`,
    [],
  );
  return rows.map((r) => ({
    ...restingOf(r),
    type: r.type,
    recorded: { quantity: r.filled, quote: r.quote, fee: r.fee, baseFee: r.base_fee },
  }));
}
