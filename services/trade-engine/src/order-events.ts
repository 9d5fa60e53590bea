import type { Bus } from "@tradewire/bus";
import {
  OrderEvent,
  type OrderEventKind,
  type OrderType,
  subjects,
  type TradingMode,
} from "@tradewire/schemas";
import { clientOrderIdFor } from "./ids.js";
import type { OrderRequest } from "./request.js";
import type { DecisionStore } from "./store.js";

/** What the fill-recording tail needs to know about the order, however it was filled. */
export interface OrderFill {
  side: "BUY" | "SELL";
  /** Ordered quantity: a smaller fill is published as `partial_fill`. */
  quantity: string;
  closing: boolean;
  type: OrderType;
}

export type PublishOrderEvent = (
  event: OrderEventKind,
  req: OrderRequest,
  fields: Record<string, unknown>,
) => Promise<void>;

/**
 * Where a decision writes: the store (the pool, or a batch's transaction) and its order events
 * (sent now, or once the batch has committed).
 */
export interface Unit {
  store: DecisionStore;
  publish: PublishOrderEvent;
}

/** The order's fields in its events. */
export function orderFields(
  orderId: string,
  clientOrderId: string,
  o: { side: "BUY" | "SELL"; quantity: string; type: OrderType },
  price?: string,
) {
  return {
    order_id: orderId,
    client_order_id: clientOrderId,
    side: o.side,
    type: o.type,
    quantity: o.quantity,
    ...(price === undefined ? {} : { price }),
  };
}

/** `orders.<event>` on JetStream, one msg id per order and event: a repeat is a no-op. */
export function orderEventPublisher(bus: Bus, mode: TradingMode): PublishOrderEvent {
  return async (event, req, fields) => {
    const clientOrderId = clientOrderIdFor(req.id);
    const value = {
      event,
      event_id: `${clientOrderId}:${event}`,
      // Replaced by the exchange's id once there is one; a rejection before any order keeps this.
      order_id: mode === "paper" ? `paper-${clientOrderId.slice(3)}` : clientOrderId,
      client_order_id: clientOrderId,
      signal_id: req.id,
      strategy_id: req.strategyId,
      symbol: req.symbol,
      side: req.action === "BUY" ? "BUY" : "SELL",
      type: "MARKET",
      quantity: "0",
      mode,
      timestamp: Date.now(),
      ...fields,
    };
    // Validated against OrderEvent by publishDurable before it leaves the process.
    await bus.publishDurable(subjects.orderEvent(event), OrderEvent, value as OrderEvent, {
      msgId: value.event_id,
    });
  };
}
