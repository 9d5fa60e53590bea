/** The records of the fake USD-M exchange and the pure rules it trades by. */

/** One-way mode: `amt` is signed (negative = short). */
export type FakePosition = { amt: number; entry: number };

export interface FakeFuturesOrder {
  orderId: number;
  symbol: string;
  clientOrderId: string;
  status: "NEW" | "PARTIALLY_FILLED" | "FILLED" | "CANCELED" | "EXPIRED";
  type: "MARKET" | "LIMIT";
  side: "BUY" | "SELL";
  reduceOnly: boolean;
  /** A LIMIT's price and time in force (a GTC the price has not reached rests until `trigger`). */
  limit?: { price: string; timeInForce: "GTC" | "IOC" | "FOK" };
  origQty: string;
  executedQty: string;
  /** Average price of what executed ("0" before anything did). */
  avgPrice: string;
  /** Executed notional in USDT. */
  cumQuote: string;
  updateTime: number;
}

/** A conditional order in the fake Algo Service (`/fapi/v1/algoOrder`). */
export interface FakeAlgoOrder {
  algoId: number;
  clientAlgoId: string;
  symbol: string;
  side: "BUY" | "SELL";
  orderType: "STOP_MARKET" | "TAKE_PROFIT_MARKET";
  quantity: string;
  triggerPrice: string;
  workingType: string;
  reduceOnly: boolean;
  algoStatus: "NEW" | "CANCELED" | "FINISHED" | "REJECTED";
  /** The regular order placed when it triggered. */
  actualOrderId: string;
  actualPrice: string;
  createTime: number;
  updateTime: number;
  triggerTime: number;
}

export interface FakeFuturesTrade {
  id: number;
  orderId: number;
  symbol: string;
  side: "BUY" | "SELL";
  price: string;
  qty: string;
  quoteQty: string;
  commission: string;
  commissionAsset: string;
  realizedPnl: string;
  time: number;
}

/**
 * A change of a futures order, named as Binance's `ORDER_TRADE_UPDATE` names it (`x`): placed
 * (NEW), a fill (TRADE: the recorded trade, whether the order was the maker), CANCELED, EXPIRED.
 * `order` is the live record, already updated.
 */
export type FakeFuturesOrderChange =
  | { execType: "NEW" | "CANCELED" | "EXPIRED"; order: FakeFuturesOrder }
  | { execType: "TRADE"; order: FakeFuturesOrder; trade: FakeFuturesTrade; maker: boolean };

export interface FakeFutures {
  orders: FakeFuturesOrder[];
  algoOrders: FakeAlgoOrder[];
  trades: FakeFuturesTrade[];
  /** One-way mode positions: `amt` is signed (negative = short). */
  positions: Map<string, FakePosition>;
  leverage: Map<string, number>;
  /** Answered by `GET /fapi/v1/positionSide/dual` (default false: one-way mode). */
  dualSidePosition: boolean;
  /**
   * Fills the resting conditional orders on `symbol` whose trigger the current `price(symbol)` has
   * reached: a SELL STOP_MARKET (long's stop) at price <= trigger, a SELL TAKE_PROFIT_MARKET at
   * price >= trigger, mirrored for BUY. A reduce-only order closes at most the open position; one
   * with nothing left to reduce is REJECTED. Returns the orders that triggered.
   *
   * Then fills every resting LIMIT (GTC, NEW or PARTIALLY_FILLED) on `symbol` the price has reached
   * (BUY: price <= limit, SELL: price >= limit): what is left of it, at its limit price, one trade
   * each. A reduce-only one fills at most the open position, the rest EXPIRED. Those are not in the
   * returned list (it holds algo orders only): find them in `orders` and `trades`.
   */
  trigger(symbol: string): FakeAlgoOrder[];
  /** Cancels a working algo order as its owner would by hand (in Binance's app): ALGO_UPDATE goes out. */
  cancelAlgo(clientAlgoId: string): void;
  /**
   * Executes `quantity` more of a resting LIMIT (NEW or PARTIALLY_FILLED) at its limit price, as if
   * part of the book had traded against it: PARTIALLY_FILLED, FILLED once nothing is left; the
   * position moves and a trade is recorded. Throws if no such order rests or the quantity is more
   * than what is left (or, reduce-only, more than the position it may close).
   */
  partialFill(clientOrderId: string, quantity: string): void;
}

export const sideSign = (side: "BUY" | "SELL") => (side === "BUY" ? 1 : -1);

/** Whether a conditional order's trigger is reached at `price`. */
export function reached(
  o: Pick<FakeAlgoOrder, "side" | "orderType" | "triggerPrice">,
  price: number,
): boolean {
  const trigger = Number(o.triggerPrice);
  // A SELL stop and a BUY take-profit wait for the price to fall; the other two for it to rise.
  const falling = (o.side === "SELL") === (o.orderType === "STOP_MARKET");
  return falling ? price <= trigger : price >= trigger;
}

/**
 * A one-way position after a fill of `qty` on `side` at `price`: the part against the position
 * closes it (realizing PnL from the entry price), the rest opens or adds at a weighted entry.
 */
export function applyFill(
  pos: FakePosition,
  side: "BUY" | "SELL",
  qty: number,
  price: number,
): { position: FakePosition; realizedPnl: number } {
  const delta = sideSign(side) * qty;
  const closing = Math.sign(pos.amt) === -Math.sign(delta) ? Math.min(Math.abs(pos.amt), qty) : 0;
  const opening = qty - closing;
  const remaining = Math.abs(pos.amt) - closing;
  const entry =
    opening > 0
      ? (remaining * pos.entry + opening * price) / (remaining + opening)
      : remaining > 0
        ? pos.entry
        : 0;
  return {
    position: { amt: Number((pos.amt + delta).toFixed(8)), entry },
    realizedPnl: closing * (price - pos.entry) * Math.sign(pos.amt),
  };
}
