import { describe, expect, it } from "vitest";
import { type BookLevel, DepthImbalance } from "./depth-imbalance.js";
import { SpreadTicks } from "./spread.js";
import { TradeFlowImbalance } from "./trade-flow.js";

describe("DepthImbalance", () => {
  const bids: BookLevel[] = [
    [100, 3],
    [99.9, 2],
    [99.8, 5],
  ];
  const asks: BookLevel[] = [
    [100.1, 1],
    [100.2, 1],
    [100.3, 10],
  ];

  it("compares bid and ask quantity over the top N levels only", () => {
    const top2 = new DepthImbalance(2);
    expect(top2.update(bids, asks)).toBeCloseTo((5 - 2) / 7, 15);
    expect(top2.bidQuantity).toBe(5);
    expect(top2.askQuantity).toBe(2);
    const top3 = new DepthImbalance(3);
    expect(top3.update(bids, asks)).toBeCloseTo((10 - 12) / 22, 15);
  });

  it("uses every level when the book is shallower than N and accepts decimal strings", () => {
    const imb = new DepthImbalance(20);
    expect(imb.update([["0.0024", "10"]], [["0.0025", "30"]])).toBe(-0.5);
  });

  it("is +1 / -1 for a one-sided book and NaN (not ready) for an empty one", () => {
    const imb = new DepthImbalance(5);
    expect(imb.update(bids, [])).toBe(1);
    expect(imb.update([], asks)).toBe(-1);
    expect(imb.isReady).toBe(true);
    expect(imb.update([], [])).toBeNaN();
    expect(imb.isReady).toBe(false);
    imb.update(bids, asks);
    imb.reset();
    expect(imb.value).toBeNaN();
  });
});

describe("SpreadTicks", () => {
  it("counts whole ticks despite binary floating-point prices", () => {
    const spread = new SpreadTicks(0.01);
    expect(spread.isReady).toBe(false);
    expect(spread.update(27_123.45, 27_123.46)).toBe(1);
    expect(spread.update(0.1, 0.3)).toBe(20);
    expect(spread.spread).toBeCloseTo(0.2, 15);
    expect(spread.midPrice).toBeCloseTo(0.2, 15);
    expect(spread.isReady).toBe(true);
  });

  it("reports a crossed book as a negative spread and rejects a bad tick size", () => {
    expect(new SpreadTicks(0.5).update(101, 100)).toBe(-2);
    expect(() => new SpreadTicks(0)).toThrow(RangeError);
  });
});

describe("TradeFlowImbalance", () => {
  it("weighs aggressor buy against sell volume within the window", () => {
    const flow = new TradeFlowImbalance({ windowMs: 1_000 });
    expect(flow.isReady).toBe(false);
    flow.update(0, 3, true);
    flow.update(100, 1, false);
    expect(flow.value).toBe(0.5);
    expect(flow.buyVolume).toBe(3);
    expect(flow.sellVolume).toBe(1);
  });

  it("drops trades at or before latest - windowMs, on a new trade or on advance", () => {
    const flow = new TradeFlowImbalance({ windowMs: 1_000 });
    flow.update(0, 3, true);
    flow.update(500, 1, false);
    expect(flow.update(1_000, 1, false)).toBe(-1);
    expect(flow.tradeCount).toBe(2);
    expect(flow.advance(1_499)).toBe(-1);
    expect(flow.advance(2_000)).toBeNaN();
    expect(flow.isReady).toBe(false);
    expect(flow.tradeCount).toBe(0);
  });

  it("keeps exact sums when the window holds more trades than the initial capacity", () => {
    const flow = new TradeFlowImbalance({ windowMs: 10_000, initialCapacity: 16 });
    let buy = 0;
    let sell = 0;
    for (let i = 0; i < 1_000; i++) {
      const isBuy = i % 3 !== 0;
      flow.update(i, 1 + (i % 7), isBuy);
      if (isBuy) buy += 1 + (i % 7);
      else sell += 1 + (i % 7);
    }
    expect(flow.tradeCount).toBe(1_000);
    expect(flow.value).toBeCloseTo((buy - sell) / (buy + sell), 12);
    flow.reset();
    expect(flow.tradeCount).toBe(0);
    expect(flow.value).toBeNaN();
  });
});
