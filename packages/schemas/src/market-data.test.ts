import { describe, expect, it } from "vitest";
import { ExtractionCompleted } from "./extraction.js";
import { MarketData } from "./market-data.js";

const base = { venue: "binance", market: "spot", symbol: "BTCUSDT", eventTime: 1, receiveTime: 2 } as const;

describe("MarketData", () => {
  it("discriminates on kind", () => {
    const trade = MarketData.parse({
      ...base,
      kind: "trade",
      tradeId: 12345,
      price: "0.001",
      quantity: "100",
      tradeTime: 1,
      buyerIsMaker: true,
    });
    expect(trade.kind).toBe("trade");
  });

  it("keeps prices as decimal strings and rejects floats", () => {
    const depth = { ...base, kind: "depth20", lastUpdateId: 1, bids: [["0.0024", "10"]], asks: [] };
    expect(MarketData.safeParse(depth).success).toBe(true);
    expect(MarketData.safeParse({ ...depth, bids: [[0.0024, 10]] }).success).toBe(false);
    const bad = MarketData.safeParse({
      ...depth,
      asks: [
        ["1.5", "2"],
        ["1.6", "1e-3"],
      ],
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({
      path: ["asks"],
      message: 'level 1: expected ["price", "quantity"] as decimal strings, got ["1.6","1e-3"]',
    });
    const tooMany = Array.from({ length: 21 }, () => ["1", "1"]);
    expect(MarketData.safeParse({ ...depth, bids: tooMany }).error?.issues[0]?.message).toBe(
      "expected at most 20 levels, got 21",
    );
  });
});

describe("ExtractionCompleted", () => {
  it("accepts the seed event format", () => {
    const event = {
      event_type: "extraction_completed",
      extraction_type: "klines",
      symbol: "BTCUSDT",
      period: "15m",
      timestamp: "2024-01-01T00:00:00.000Z",
      success: true,
      metrics: {
        records_fetched: 10,
        records_written: 10,
        duration_seconds: 1.5,
        gaps_found: 0,
        gaps_filled: 0,
      },
      errors: [],
    };
    expect(ExtractionCompleted.parse(event)).toEqual(event);
  });
});
