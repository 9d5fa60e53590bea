import { captureLogger } from "@tradewire/logger";
import type { MarketData, TradingSignalInput } from "@tradewire/schemas";
import { describe, expect, it } from "vitest";
import { Evaluator } from "../evaluator.js";
import { SymbolState } from "../symbol-state.js";
import type { StrategyName } from "./names.js";
import { buildStrategies, StrategyParams } from "./registry.js";

const params = StrategyParams.parse({});
const base = { venue: "binance", market: "spot", symbol: "BTCUSDT", eventTime: 0, receiveTime: 0 } as const;

function harness(name: StrategyName) {
  const signals: TradingSignalInput[] = [];
  const cap = captureLogger("strategies");
  const evaluator = new Evaluator({
    strategies: buildStrategies([name], params),
    cooldownMs: 0,
    log: cap.logger,
    emit: (s) => void signals.push(s),
  });
  const state = new SymbolState("BTCUSDT");
  let t = Date.UTC(2026, 0, 1);
  const feed = (m: MarketData) => {
    t += 100;
    evaluator.onMarketData(state, m, t);
  };
  return { signals, cap, evaluator, state, feed };
}

const depth = (bidQty: number, askQty: number, spreadTicks = 1): MarketData => ({
  ...base,
  kind: "depth20",
  lastUpdateId: 1,
  bids: Array.from(
    { length: 5 },
    (_, i) => [(30000 - i * 0.01).toFixed(2), bidQty.toFixed(3)] as [string, string],
  ),
  asks: Array.from(
    { length: 5 },
    (_, i) => [(30000 + spreadTicks * 0.01 + i * 0.01).toFixed(2), askQty.toFixed(3)] as [string, string],
  ),
});

let minute = Date.UTC(2026, 0, 1) / 60_000;
const kline = (
  close: number,
  o: Partial<{ open: number; high: number; low: number; volume: number; isClosed: boolean }> = {},
): MarketData => {
  const openTime = minute++ * 60_000;
  const open = o.open ?? close;
  return {
    ...base,
    kind: "kline",
    interval: "1m",
    openTime,
    closeTime: openTime + 59_999,
    open: open.toFixed(2),
    high: (o.high ?? Math.max(open, close) + 1).toFixed(2),
    low: (o.low ?? Math.min(open, close) - 1).toFixed(2),
    close: close.toFixed(2),
    volume: (o.volume ?? 10).toFixed(3),
    quoteVolume: "0",
    trades: 10,
    takerBuyBaseVolume: "0",
    takerBuyQuoteVolume: "0",
    isClosed: o.isClosed ?? true,
  };
};

describe("book and flow strategies", () => {
  it("orderbook_skew fires on a bid-heavy book and not on a balanced one", () => {
    const h = harness("orderbook_skew");
    h.feed(depth(5, 5));
    expect(h.signals).toHaveLength(0);
    h.feed(depth(9, 1));
    expect(h.signals[0]).toMatchObject({ strategy_id: "orderbook_skew", action: "buy", timeframe: "tick" });
    expect(h.signals[0]?.indicators?.depth_imbalance).toBeCloseTo(0.8);
  });

  it("orderbook_skew does not fire on the skew of a crossed book or one with an empty side; they are counted", () => {
    const h = harness("orderbook_skew");
    h.feed(depth(5, 5));
    const bidHeavy = depth(9, 1);
    if (bidHeavy.kind !== "depth20") throw new Error("depth");
    // The same bid-heavy book with its asks moved under the bids, then with no asks at all.
    const asks = bidHeavy.asks.map(
      ([price, qty]) => [(Number(price) - 1).toFixed(2), qty] as [string, string],
    );
    h.feed({ ...bidHeavy, asks });
    h.feed({ ...bidHeavy, asks: [] });
    expect(h.signals).toEqual([]);
    expect(h.evaluator.counts.booksRefused).toBe(2);
    expect(h.state.bid).toBe(30_000);
    h.feed(bidHeavy);
    expect(h.signals[0]).toMatchObject({ strategy_id: "orderbook_skew", action: "buy" });
  });

  it("orderbook_skew stays quiet when the spread is wide", () => {
    const h = harness("orderbook_skew");
    h.feed(depth(1, 9, 10));
    expect(h.signals).toHaveLength(0);
  });

  it("spread_liquidity fires when an abnormal spread normalizes with a leaning book", () => {
    const h = harness("spread_liquidity");
    for (let i = 0; i < 200; i++) h.feed(depth(5, 5, 2));
    expect(h.signals).toHaveLength(0);
    h.feed(depth(5, 5, 4));
    h.feed(depth(2, 8, 1));
    expect(h.signals[0]).toMatchObject({ action: "sell" });
  });

  it("trade_momentum needs both one-sided flow and velocity", () => {
    const h = harness("trade_momentum");
    const trade = (buy: boolean, i: number): MarketData => ({
      ...base,
      kind: "trade",
      tradeId: i,
      price: "30000",
      quantity: "1",
      tradeTime: 1_000 + i * 100,
      buyerIsMaker: !buy,
    });
    for (let i = 0; i < 30; i++) h.feed(trade(i % 2 === 0, i));
    expect(h.signals).toHaveLength(0);
    for (let i = 30; i < 100; i++) h.feed(trade(true, i));
    expect(h.signals[0]).toMatchObject({ action: "buy", strategy_id: "trade_momentum" });
  });

  it("F39 trade_momentum is priced at the trade, not at a book that stopped coming long ago", () => {
    const h = harness("trade_momentum");
    // The last book, at 30,000: its stream stopped since, while trades went on rising.
    h.feed(depth(5, 5));
    for (let i = 0; i < 100; i++)
      h.feed({
        ...base,
        kind: "trade",
        tradeId: i,
        price: (31_000 + i).toFixed(2),
        quantity: "1",
        tradeTime: 1_000 + i * 100,
        buyerIsMaker: false,
      });
    const [signal] = h.signals;
    expect(signal).toMatchObject({ action: "buy" });
    // The price of the trade that triggered it, and the levels around that price.
    const at = Number(signal?.price);
    expect(at).toBeGreaterThanOrEqual(31_000);
    expect(signal?.current_price).toBe(at);
  });
});

describe("candle strategies", () => {
  it("F40 does not evaluate before warm-up and says so once", () => {
    const h = harness("ema_pullback_continuation");
    for (let i = 0; i < 10; i++) h.feed(kline(100 + i));
    expect(h.evaluator.counts.evaluated).toBe(0);
    expect(h.evaluator.counts.skippedCold).toBe(10);
    const said = h.cap.find("strategy not warm; not evaluating");
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({
      strategy: "ema_pullback_continuation",
      symbol: "BTCUSDT",
      reason: expect.stringContaining("EMA30"),
    });
  });

  it("F41 klines of an interval no strategy reads are said once per symbol and interval, while a candle strategy is enabled", () => {
    const h = harness("ema_pullback_continuation");
    const fiveMinute: MarketData = { ...kline(30_000), interval: "5m" } as MarketData;
    h.feed(fiveMinute);
    h.feed(fiveMinute);
    expect(
      h.cap.find("klines of an interval no strategy reads: candle strategies take closed 1m klines only"),
    ).toEqual([expect.objectContaining({ level: "warn", symbol: "BTCUSDT", interval: "5m" })]);
    expect(h.state.candles).toBe(0);
    const book = harness("orderbook_skew");
    book.feed(fiveMinute);
    expect(book.cap.lines().filter((l) => l.level === "warn")).toEqual([]);
  });

  it("F41 a closed kline older than the last taken is not taken, said once and counted; the same candle again is only skipped", () => {
    const h = harness("ema_pullback_continuation");
    const first = kline(30_000);
    const second = kline(30_010);
    h.feed(first);
    h.feed(second);
    h.feed(second);
    expect(h.evaluator.counts.olderCandles).toBe(0);
    h.feed(first);
    h.feed(first);
    expect(h.state.candles).toBe(2);
    expect(h.evaluator.counts.olderCandles).toBe(2);
    expect(
      h.cap.find("closed 1m kline older than the last taken: not taken (the feed went back in time)"),
    ).toEqual([expect.objectContaining({ level: "warn", symbol: "BTCUSDT" })]);
  });

  it("F42 ignores forming candles", () => {
    const h = harness("rsi_extreme_reversal");
    for (let i = 0; i < 50; i++) h.feed(kline(100, { isClosed: false }));
    expect(h.state.candles).toBe(0);
  });

  it("ema_pullback_continuation fires when the low touches EMA20 in an uptrend and closes above it", () => {
    const h = harness("ema_pullback_continuation");
    for (let i = 0; i < 60; i++) h.feed(kline(100 + i, { low: 100 + i - 0.5 }));
    expect(h.signals).toHaveLength(0);
    const ema20 = h.state.ema20.value;
    h.feed(kline(160, { open: 159, low: ema20 - 5, high: 161 }));
    expect(h.signals[0]).toMatchObject({
      action: "buy",
      strategy_id: "ema_pullback_continuation",
      timeframe: "1m",
    });
  });

  it("rsi_extreme_reversal fires when RSI climbs back out of oversold", () => {
    const h = harness("rsi_extreme_reversal");
    for (let i = 0; i < 40; i++) h.feed(kline(200 - i * 2));
    expect(h.signals).toHaveLength(0);
    for (let i = 0; i < 6 && h.signals.length === 0; i++) h.feed(kline(120 + i * 6));
    expect(h.signals[0]).toMatchObject({ action: "buy" });
  });

  it("bollinger_breakout fires on a close above the upper band with volume, not without volume", () => {
    const quiet = harness("bollinger_breakout");
    for (let i = 0; i < 30; i++) quiet.feed(kline(100 + (i % 2)));
    quiet.feed(kline(110, { volume: 5 }));
    expect(quiet.signals).toHaveLength(0);
    const loud = harness("bollinger_breakout");
    for (let i = 0; i < 30; i++) loud.feed(kline(100 + (i % 2)));
    loud.feed(kline(110, { volume: 50 }));
    expect(loud.signals[0]).toMatchObject({ action: "buy" });
    expect(loud.signals[0]?.stop_loss).toBeLessThan(110);
  });

  it("momentum_pulse fires on a MACD cross with RSI 50-65, ADX > 20 and price above EMA21/50", () => {
    const h = harness("momentum_pulse");
    // A long trend (ADX high), a dip (histogram negative), then a modest recovery.
    for (let i = 0; i < 80; i++) h.feed(kline(100 + i * 0.8));
    for (let i = 0; i < 8; i++) h.feed(kline(164 - i * 1.2));
    expect(h.signals).toHaveLength(0);
    // A choppy recovery keeps RSI moderate while MACD turns up.
    let price = 155;
    for (let i = 0; i < 40 && h.signals.length === 0; i++) {
      price += i % 2 === 0 ? 1.4 : -0.8;
      h.feed(kline(price));
    }
    const fired = h.signals[0];
    expect(fired?.action).toBe("buy");
    expect(fired?.indicators?.rsi).toBeGreaterThanOrEqual(50);
    expect(fired?.indicators?.rsi).toBeLessThanOrEqual(65);
  });

  it("multi_timeframe_trend fires once when 15m, 1h and 4h come to agree, not at every candle while they do", () => {
    const h = harness("multi_timeframe_trend");
    // 23 four-hour candles rising: every timeframe warm and up for hours.
    for (let i = 0; i < 240 * 23; i++) h.feed(kline(100 + i * 0.01));
    expect(h.signals.map((s) => s.action)).toEqual(["buy"]);
    // Falling long enough for every timeframe to turn: one sell when the last of them does.
    for (let i = 0; i < 240 * 12; i++) h.feed(kline(155 - i * 0.02));
    expect(h.signals.map((s) => s.action)).toEqual(["buy", "sell"]);
  });

  it("uses one signal id per strategy, symbol and candle", () => {
    const h = harness("bollinger_breakout");
    for (let i = 0; i < 30; i++) h.feed(kline(100 + (i % 2)));
    h.feed(kline(110, { volume: 50 }));
    expect(h.signals[0]?.signal_id).toMatch(/^bollinger_breakout-BTCUSDT-\d+$/);
  });
});
