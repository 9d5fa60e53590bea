import { type Bus, BusError } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
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

/**
 * Where a decision writes: the store (each write with the order events it makes true) and its
 * lifecycle log lines; at once, or once its batch is stored.
 */
export interface Unit {
  store: DecisionStore;
  log: Logger;
  /**
   * Runs `count` (a metric) once what this unit wrote is stored: at once for direct writes, at a
   * batch's commit for a batch, and never if it rolls back, so /metrics counts no decision twice.
   */
  onStored(count: () => void): void;
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

/** One order event, ready to publish: its subject, its value and its msg id. */
export interface OutgoingOrderEvent {
  subject: string;
  value: OrderEvent;
}

/** The event for a request; one msg id per order and event (`<client order id>:<event>`), so a repeat is a no-op. */
export function orderEvent(
  mode: TradingMode,
  event: OrderEventKind,
  req: OrderRequest,
  fields: Record<string, unknown>,
): OutgoingOrderEvent {
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
  // Validated against OrderEvent when published, before it leaves the process.
  return { subject: subjects.orderEvent(event), value: value as OrderEvent };
}

/** A fill as the venue reported it. */
export interface VenueFill {
  orderId: string;
  clientOrderId: string;
  quantity: string;
  price: string;
  fee: string;
  feeAsset: string;
  /** Commission paid in the base asset (in `fee` too, priced): the position gets that much less. */
  baseFee?: string;
  /** Why the fees could not be read: `fee` leaves them out until reconciliation reads them. */
  feesUnread?: string;
}

/** How a fill's event is told apart: one increment of an order that fills in several. */
export interface FillIncrement {
  /** Whether the order is done with it. */
  complete: boolean;
  /** What the order had executed in all after it: names the event, so each increment has its own id. */
  executedAfter: string;
}

/**
 * A fill's event: `filled`, or `partial_fill` when less than the order's quantity executed. For one
 * increment of a working order, `increment` says whether the order is done, and its id carries
 * the executed total (two partial fills of one order are two events, not a repeat).
 */
export function fillEvent(
  mode: TradingMode,
  req: OrderRequest,
  order: OrderFill,
  fill: VenueFill,
  increment?: FillIncrement,
): OutgoingOrderEvent {
  // Compared as numbers: venues write quantities with their own scale ("0.010" vs "0.01000").
  const complete = increment?.complete ?? Number(fill.quantity) >= Number(order.quantity);
  const kind = complete ? "filled" : "partial_fill";
  return orderEvent(mode, kind, req, {
    ...(increment === undefined
      ? {}
      : { event_id: `${clientOrderIdFor(req.id)}:${kind}:${increment.executedAfter}` }),
    ...orderFields(fill.orderId, fill.clientOrderId, order),
    price: fill.price,
    filled_quantity: fill.quantity,
    avg_price: fill.price,
    fee: fill.fee,
    fee_asset: fill.feeAsset,
    ...(fill.feesUnread === undefined ? {} : { fee_unread: fill.feesUnread }),
  });
}

/**
 * What a one-shot order (MARKET, IOC, FOK) tells the bus: placed, its fill and, when it executed
 * less than ordered (the rest expired), `canceled` for that rest, so its story ends as the stored
 * order does instead of stopping at `partial_fill`.
 */
export function oneShotEvents(
  mode: TradingMode,
  req: OrderRequest,
  order: OrderFill,
  fill: VenueFill,
  limitPrice?: string,
): OutgoingOrderEvent[] {
  const fields = orderFields(fill.orderId, fill.clientOrderId, order, limitPrice);
  const events = [orderEvent(mode, "placed", req, fields), fillEvent(mode, req, order, fill)];
  if (Number(fill.quantity) < Number(order.quantity))
    events.push(
      orderEvent(mode, "canceled", req, {
        ...fields,
        reason: `expired: ${fill.quantity} of ${order.quantity} executed, the rest ended unfilled`,
      }),
    );
  return events;
}

const RETRY_DELAYS_MS = [200, 1_000];

/**
 * A committed batch's events: one batch publish per subject with every ack in flight. What fails
 * for a transient reason is published again (its msg id makes a repeat a no-op), twice; an event
 * its schema refuses is not retried. What still fails is thrown, naming the events and why.
 */
export async function publishOrderEvents(bus: Bus, events: readonly OutgoingOrderEvent[]): Promise<void> {
  let pending = events;
  for (let attempt = 0; ; attempt++) {
    const bySubject = new Map<string, OutgoingOrderEvent[]>();
    for (const e of pending) {
      const group = bySubject.get(e.subject);
      if (group) group.push(e);
      else bySubject.set(e.subject, [e]);
    }
    const failed: { event: OutgoingOrderEvent; error: BusError }[] = [];
    await Promise.all(
      [...bySubject].map(async ([subject, group]) => {
        const items = group.map((e) => ({ value: e.value, msgId: e.value.event_id }));
        const results = await bus.publishDurableBatch(subject, OrderEvent, items);
        results.forEach((r, i) => {
          const event = group[i];
          if (r instanceof BusError && event !== undefined) failed.push({ event, error: r });
        });
      }),
    );
    if (failed.length === 0) return;
    const delay = RETRY_DELAYS_MS[attempt];
    if (delay === undefined || failed.some((f) => !f.error.retryable)) {
      const first = failed[0]?.error;
      throw new Error(
        `${failed.length} order events could not be published (${failed.map((f) => f.event.value.event_id).join(", ")}): ${first?.message}`,
        { cause: first },
      );
    }
    pending = failed.map((f) => f.event);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
