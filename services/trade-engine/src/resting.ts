import type { Quote } from "./decide.js";
import { opposes } from "./paper.js";
import type { OrderRequest } from "./request.js";

/** A paper LIMIT order waiting in the simulated book until the market reaches its price. */
export interface RestingOrder {
  req: OrderRequest;
  orderId: string;
  clientOrderId: string;
  side: "BUY" | "SELL";
  quantity: string;
  price: string;
  /** LIMIT unless said: an exchange MARKET order can also answer that it is still working. */
  type?: "LIMIT" | "MARKET";
  /**
   * A BUY/SELL admitted as a reduce of the position (no larger than it): it stays one however the
   * position changes meanwhile. Filled, it closes no more than is held, and it never flips it: a
   * flip takes the entry checks, which it never went through.
   */
  reduceOnly?: boolean;
}

/** A buy limit at or above the ask (a sell at or below the bid) fills at once, as a taker. */
export function marketable(side: "BUY" | "SELL", limit: number, quote: Quote): boolean {
  return side === "BUY" ? quote.ask <= limit : quote.bid >= limit;
}

/** Resting orders the quote now reaches: they fill at their own price, as makers. */
export function crossed(orders: Iterable<RestingOrder>, quoteOf: (symbol: string) => Quote | undefined) {
  const out: RestingOrder[] = [];
  for (const o of orders) {
    const quote = quoteOf(o.req.symbol);
    if (quote !== undefined && marketable(o.side, Number(o.price), quote)) out.push(o);
  }
  return out;
}

/**
 * An order that opens or adds to a position, given the position now: not a CLOSE, nor a BUY/SELL
 * against the position that is no larger than it (that only reduces it; a larger one flips it).
 */
export function isEntry(
  o: { req: OrderRequest; side: "BUY" | "SELL"; quantity: string; reduceOnly?: boolean },
  positionQuantity: number,
): boolean {
  if (o.req.action === "CLOSE" || o.reduceOnly === true) return false;
  return !opposes(positionQuantity, o.side) || Number(o.quantity) > Math.abs(positionQuantity);
}

/** Notional of resting entries per symbol, for the risk limits. */
export function restingEntryNotional(
  orders: Iterable<RestingOrder>,
  positionOf: (symbol: string) => number,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of orders) {
    if (!isEntry(o, positionOf(o.req.symbol))) continue;
    out.set(o.req.symbol, (out.get(o.req.symbol) ?? 0) + Number(o.quantity) * Number(o.price));
  }
  return out;
}
