import { describe, expect, it } from "vitest";
import { correctedAvgPrice, correctionRealized } from "./ledger.js";

describe("reconciliation's price for a corrected position", () => {
  it("keeps the held part's price and prices what was gained at the mark; never 0 with a mark", () => {
    expect(correctedAvgPrice({ quantity: 0, avgPrice: 0, realizedPnl: 0 }, 0.5, 2_000)).toBe(2_000);
    expect(correctedAvgPrice({ quantity: 0.01, avgPrice: 30_000, realizedPnl: 0 }, 0.03, 31_000)).toBe(
      30_666.66666667,
    );
    expect(correctedAvgPrice({ quantity: 0.03, avgPrice: 30_000, realizedPnl: 0 }, 0.01, 31_000)).toBe(
      30_000,
    );
    expect(correctedAvgPrice({ quantity: 0.01, avgPrice: 30_000, realizedPnl: 0 }, -0.01, 29_000)).toBe(
      29_000,
    );
    expect(correctedAvgPrice({ quantity: 0.01, avgPrice: 30_000, realizedPnl: 0 }, 0, 29_000)).toBe(0);
    // No mark: what was held keeps its price; a position found from flat has none to give.
    expect(correctedAvgPrice({ quantity: 0.01, avgPrice: 30_000, realizedPnl: 0 }, 0.02, undefined)).toBe(
      30_000,
    );
    expect(correctedAvgPrice({ quantity: 0, avgPrice: 0, realizedPnl: 0 }, 0.02, undefined)).toBe(0);
  });
});

describe("what a correction realizes", () => {
  const long = { quantity: 0.01, avgPrice: 30_000, realizedPnl: 0 };
  const short = { quantity: -0.01, avgPrice: 30_000, realizedPnl: 0 };
  it("books the part of the side no longer held at the mark: a liquidated long is a loss, a covered short a gain", () => {
    expect(correctionRealized(long, 0, 27_000)).toBe(-30);
    expect(correctionRealized(long, 0.004, 27_000)).toBe(-18);
    expect(correctionRealized(long, -0.01, 27_000)).toBe(-30);
    expect(correctionRealized(short, 0, 27_000)).toBe(30);
    expect(correctionRealized(short, 0, 33_000)).toBe(-30);
  });
  it("realizes nothing when the side only grew, from flat, or without a mark", () => {
    expect(correctionRealized(long, 0.02, 27_000)).toBe(0);
    expect(correctionRealized({ quantity: 0, avgPrice: 0, realizedPnl: 0 }, 0.02, 27_000)).toBe(0);
    expect(correctionRealized(long, 0, undefined)).toBe(0);
    // Found from flat without a mark (price 0): closing it is no profit of its whole value.
    expect(correctionRealized({ quantity: 0.01, avgPrice: 0, realizedPnl: 0 }, 0, 27_000)).toBe(0);
  });
});
