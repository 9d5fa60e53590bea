import type { Depth20 } from "@tradewire/schemas";
import { bookTicker } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { PriceBook, type RefusedQuote } from "./prices.js";

const depth = (bid: string, ask: string): Depth20 => ({
  venue: "binance",
  market: "spot",
  kind: "depth20",
  symbol: "BTCUSDT",
  eventTime: 1,
  receiveTime: 1,
  lastUpdateId: 1,
  bids: [[bid, "1"]],
  asks: [[ask, "1"]],
});

describe("PriceBook", () => {
  it("takes a two-sided quote from bookTicker and depth20", () => {
    const prices = new PriceBook(() => {});
    prices.update(bookTicker("BTCUSDT", "100", "101"), 1);
    expect(prices.get("BTCUSDT")).toEqual({ bid: 100, ask: 101, at: 1 });
    prices.update(depth("102", "103"), 2);
    expect(prices.get("BTCUSDT")).toEqual({ bid: 102, ask: 103, at: 2 });
    expect(prices.mid("BTCUSDT")).toBe(102.5);
  });

  it("F26 refuses a side at 0 and a bid at or above the ask, keeping the previous quote, which then ages", () => {
    const refused: RefusedQuote[] = [];
    const prices = new PriceBook((q) => refused.push(q));
    prices.update(bookTicker("BTCUSDT", "100", "101"), 1);
    prices.update(bookTicker("BTCUSDT", "0.00000000", "101"), 2);
    prices.update(bookTicker("BTCUSDT", "100", "0"), 3);
    prices.update(depth("101", "100"), 4);
    prices.update(depth("100", "100"), 5);
    expect(refused).toEqual([
      { symbol: "BTCUSDT", source: "bookTicker", bid: 0, ask: 101, reason: "not_positive" },
      { symbol: "BTCUSDT", source: "bookTicker", bid: 100, ask: 0, reason: "not_positive" },
      { symbol: "BTCUSDT", source: "depth20", bid: 101, ask: 100, reason: "crossed" },
      { symbol: "BTCUSDT", source: "depth20", bid: 100, ask: 100, reason: "crossed" },
    ]);
    expect(prices.get("BTCUSDT")).toEqual({ bid: 100, ask: 101, at: 1 });
    expect(prices.freshMid("BTCUSDT", 1_000, 2_000)).toBeUndefined();
  });

  it("refuses a depth20 book with an empty side, as a bookTicker side at 0", () => {
    const refused: RefusedQuote[] = [];
    const prices = new PriceBook((q) => refused.push(q));
    prices.update({ ...depth("100", "101"), asks: [] }, 1);
    expect(refused).toMatchObject([
      { symbol: "BTCUSDT", source: "depth20", bid: 100, reason: "not_positive" },
    ]);
    expect(refused[0]?.ask).toBeNaN();
    expect(prices.get("BTCUSDT")).toBeUndefined();
  });

  it("a symbol whose first quote is refused has no price and does not ring as newly quoted", () => {
    const prices = new PriceBook(() => {});
    prices.update(bookTicker("ETHUSDT", "0", "2000"), 1);
    expect(prices.get("ETHUSDT")).toBeUndefined();
    expect(prices.symbols()).toEqual([]);
  });
});
