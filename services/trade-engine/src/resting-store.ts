import type { OrderRequest } from "./request.js";
import type { RestingOrder } from "./resting.js";
import { type EngineStore, type OutboxRow, outboxInsert, outboxParams } from "./store.js";

/** NEW → CANCELED with the reason on the signal, and its event; false when it was no longer open. */
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
       WHERE client_order_id = $1 AND status = 'NEW' RETURNING order_id
     ), c AS (
       INSERT INTO engine_signal_events (signal_id, step, outcome, detail) SELECT $2, 'cancel', 'reject', $3 FROM o
     ), s AS (
       UPDATE engine_signals SET status = 'CANCELED', reason = $3, decided_at = now()
       WHERE signal_id = $2 AND EXISTS (SELECT 1 FROM o)
     ), ${outboxInsert(4, "FROM o")}
     SELECT count(*)::int AS n FROM o`,
    [o.clientOrderId, o.req.id, reason, ...outboxParams(outbox)],
  );
  return rows[0]?.n === 1;
}

/** Paper LIMIT orders still open, with the requests that placed them (they survive restarts). */
export async function loadRestingOrders(store: EngineStore): Promise<RestingOrder[]> {
  const { rows } = await store.query<{
    order_id: string;
    client_order_id: string;
    side: "BUY" | "SELL";
    quantity: string;
    price: string;
    request: OrderRequest;
  }>(
    "engine_resting_orders",
    `SELECT o.order_id, o.client_order_id, o.side, o.quantity::text, o.price::text, s.request
     FROM engine_orders o JOIN engine_signals s USING (signal_id)
     WHERE o.status = 'NEW' AND o.type = 'LIMIT' AND o.mode = 'paper' ORDER BY o.created_at`,
    [],
  );
  return rows.map((r) => ({
    req: r.request,
    orderId: r.order_id,
    clientOrderId: r.client_order_id,
    side: r.side,
    quantity: r.quantity,
    price: r.price,
  }));
}
