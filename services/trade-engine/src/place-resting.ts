import type { Check } from "./decide.js";
import type { DirectStore } from "./direct-store.js";
import type { EngineParts, Ledger } from "./ledger.js";
import { orderEvent, orderFields, type Unit } from "./order-events.js";
import { lifecycleOf } from "./request.js";
import type { RestingOrder } from "./resting.js";

/**
 * Stores a LIMIT that rests (in the paper book, or working on the exchange) as NEW with the
 * signal PLACED and its `placed` event, counts it for the cooldown and logs ORDER_PLACED.
 */
export async function placeResting(
  deps: EngineParts & { ledger: Ledger },
  unit: Unit,
  o: RestingOrder,
  checks: readonly Check[],
  lifecycle: Record<string, unknown>,
  where: "book" | "exchange",
): Promise<void> {
  const { req } = o;
  const mode = deps.cfg.TRADING_MODE;
  const terms = { side: o.side, quantity: o.quantity, type: o.type ?? "LIMIT" };
  await unit.store.insertOrder({
    orderId: o.orderId,
    clientOrderId: o.clientOrderId,
    signalId: req.id,
    symbol: req.symbol,
    ...terms,
    price: o.price,
    status: "NEW",
    mode,
    reduceOnly: o.reduceOnly ?? false,
  });
  const detail = `resting${where === "exchange" ? " on the exchange" : ""}: ${o.side} ${o.quantity} @ ${o.price}`;
  const placed = orderEvent(mode, "placed", req, orderFields(o.orderId, o.clientOrderId, terms, o.price));
  await unit.store.finish(
    req.id,
    "PLACED",
    undefined,
    [...checks, { step: where, outcome: "pass", detail }],
    [placed],
  );
  // Placing counts for the cooldown: a strategy cannot stack limit orders faster than fills.
  deps.ledger.markExecuted(req);
  unit.log.info("ORDER_PLACED", {
    ...lifecycle,
    stage: "ORDER_PLACED",
    clientOrderId: o.clientOrderId,
    orderId: o.orderId,
    type: terms.type,
    side: o.side,
    quantity: o.quantity,
    price: o.price,
    resting: true,
    where,
  });
}

/**
 * Ends a resting LIMIT (paper book or exchange) CANCELED with its reason and `orders.canceled`,
 * counted and logged; false when it was no longer open (nothing written).
 */
export async function cancelResting(
  deps: EngineParts & { direct: Unit & { store: DirectStore } },
  o: RestingOrder,
  reason: string,
  fields: Record<string, unknown> = {},
): Promise<boolean> {
  const terms = { ...o, type: o.type ?? "LIMIT" };
  const canceled = await deps.direct.store.cancelResting(o, reason, [
    orderEvent(deps.cfg.TRADING_MODE, "canceled", o.req, {
      ...orderFields(o.orderId, o.clientOrderId, terms, o.price),
      reason,
    }),
  ]);
  if (!canceled) return false;
  deps.log.warn("CANCELED", {
    ...lifecycleOf(o.req),
    stage: "CANCELED",
    clientOrderId: o.clientOrderId,
    reason,
    ...fields,
  });
  return true;
}
