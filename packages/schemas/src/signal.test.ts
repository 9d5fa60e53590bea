import { describe, expect, it } from "vitest";
import { parseWith } from "./errors.js";
import { TradingSignal } from "./signal.js";

const contractExample = {
  strategy_id: "orderbook_skew",
  symbol: "BTCUSDT",
  action: "buy",
  confidence: 0.75,
  price: 50000.0,
  quantity: 0.001,
  current_price: 50000.0,
  timeframe: "tick",
  stop_loss: 49500.0,
  take_profit: 50750.0,
  timestamp: "2024-01-01T00:00:00.000Z",
};

describe("TradingSignal", () => {
  it("parses the widely used contract example", () => {
    const signal = TradingSignal.parse(contractExample);
    expect(signal.action).toBe("buy");
    expect(signal.timestamp).toBe(Date.UTC(2024, 0, 1));
    expect(signal.stop_loss).toBe(49500);
  });

  it("F12 accepts the action in any case and normalizes it", () => {
    expect(TradingSignal.parse({ ...contractExample, action: "SELL" }).action).toBe("sell");
    expect(TradingSignal.parse({ ...contractExample, action: "Close" }).action).toBe("close");
  });

  it("F12 rejects a missing strategy_id and a confidence given as a percentage", () => {
    const { strategy_id: _, ...noStrategy } = contractExample;
    expect(TradingSignal.safeParse(noStrategy).success).toBe(false);
    const result = parseWith(TradingSignal, "TradingSignal", { ...contractExample, confidence: 75 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain("confidence");
  });

  it("accepts epoch seconds, epoch milliseconds and numeric strings", () => {
    expect(TradingSignal.parse({ ...contractExample, timestamp: 1704067200 }).timestamp).toBe(1704067200000);
    expect(TradingSignal.parse({ ...contractExample, timestamp: 1704067200123 }).timestamp).toBe(
      1704067200123,
    );
    expect(TradingSignal.parse({ ...contractExample, price: "50000.5" }).price).toBe(50000.5);
  });

  it("F14 rejects an unparseable timestamp instead of using now", () => {
    const result = parseWith(TradingSignal, "TradingSignal", { ...contractExample, timestamp: "yesterday" });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.problems).toEqual([
        expect.objectContaining({ field: "timestamp", value: "yesterday" }),
      ]);
      expect(result.error.message).toContain("timestamp: expected an ISO-8601 time");
      expect(result.error.message).toContain('"yesterday"');
    }
  });

  it("F13 rejects an empty payload, naming every missing field", () => {
    const result = parseWith(TradingSignal, "TradingSignal", {});
    expect(result.ok).toBe(false);
    if (!result.ok) {
      const fields = result.error.problems.map((p) => p.field);
      expect(fields).toEqual(
        expect.arrayContaining(["strategy_id", "symbol", "action", "confidence", "timestamp"]),
      );
    }
  });

  it("accepts stop loss and take profit as fractions", () => {
    const s = TradingSignal.parse({
      ...contractExample,
      stop_loss: undefined,
      stop_loss_pct: 0.01,
      take_profit_pct: "0.02",
    });
    expect(s.stop_loss_pct).toBe(0.01);
    expect(s.take_profit_pct).toBe(0.02);
  });

  it("requires a price on a LIMIT order", () => {
    const { price: _, ...noPrice } = contractExample;
    expect(TradingSignal.safeParse({ ...noPrice, order_type: "limit" }).success).toBe(false);
    expect(TradingSignal.parse({ ...contractExample, order_type: "limit" }).order_type).toBe("LIMIT");
  });
});
