/** A valid orderbook_skew buy for BTCUSDT, as a strategy hands it to the outbox. */
export const signalInput = (id: string) => ({
  signal_id: id,
  strategy_id: "orderbook_skew",
  symbol: "BTCUSDT",
  action: "buy",
  confidence: 0.8,
  timestamp: Date.now(),
});
