import type { TradingSignalInput } from "@tradewire/schemas";
import type { OrderRequest } from "../src/request.js";

/** A GTC LIMIT buy of 0.01 at `price`, as a signal's fields; `extra` overrides or adds. */
export function limitBuy(price: number, extra: Partial<TradingSignalInput> = {}) {
  return { order_type: "LIMIT" as const, price, quantity: 0.01, ...extra };
}

/** A MARKET BUY of BTCUSDT as unit tests start from; each test overrides what it is about. */
export function orderRequest(o: Partial<OrderRequest> = {}): OrderRequest {
  return {
    id: "s-1",
    source: "signal",
    strategyId: "test",
    symbol: "BTCUSDT",
    action: "BUY",
    confidence: 0.8,
    timestampMs: 0,
    orderType: "MARKET",
    leverage: 1,
    ...o,
  };
}
