import type { OrderRequest } from "../src/request.js";

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
