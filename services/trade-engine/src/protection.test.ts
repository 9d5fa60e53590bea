import { describe, expect, it } from "vitest";
import { orderRequest } from "../test/order-request.js";
import { exitRequest, levelsAfterFill, protectionFor, triggered } from "./protection.js";
import type { OrderRequest } from "./request.js";

const req = (o: Partial<OrderRequest> = {}): OrderRequest =>
  orderRequest({ strategyId: "momentum_pulse", ...o });

describe("stop-loss / take-profit protection", () => {
  it("F25 takes absolute levels or fractions of the fill (0.02 = 2%), per side", () => {
    expect(protectionFor(req({ stopLoss: 29_000, takeProfit: 31_500 }), "BUY", 30_000)).toMatchObject({
      direction: 1,
      stopLoss: 29_000,
      takeProfit: 31_500,
    });
    const short = protectionFor(req({ stopLossPct: 0.02, takeProfitPct: 0.03 }), "SELL", 30_000);
    expect(short?.direction).toBe(-1);
    expect(short?.stopLoss).toBeCloseTo(30_600, 6);
    expect(short?.takeProfit).toBeCloseTo(29_100, 6);
  });

  it("ignores levels on the wrong side of the entry instead of exiting at once", () => {
    expect(protectionFor(req({ stopLoss: 31_000 }), "BUY", 30_000)).toBeUndefined();
    expect(protectionFor(req({ stopLoss: 29_000, takeProfit: 28_000 }), "BUY", 30_000)).toMatchObject({
      stopLoss: 29_000,
      takeProfit: undefined,
    });
    expect(protectionFor(req(), "BUY", 30_000)).toBeUndefined();
  });

  it("triggers a long at the bid and a short at the ask", () => {
    const long = protectionFor(req({ stopLoss: 29_000, takeProfit: 31_000 }), "BUY", 30_000);
    if (!long) throw new Error("fixture");
    expect(triggered(long, { bid: 29_500, ask: 29_501, at: 0 })).toBeUndefined();
    expect(triggered(long, { bid: 29_000, ask: 29_001, at: 0 })).toBe("stop_loss");
    expect(triggered(long, { bid: 31_000, ask: 31_001, at: 0 })).toBe("take_profit");
    const short = protectionFor(req({ stopLoss: 31_000 }), "SELL", 30_000);
    if (!short) throw new Error("fixture");
    expect(triggered(short, { bid: 30_999, ask: 31_000, at: 0 })).toBe("stop_loss");
    expect(exitRequest(long, "stop_loss", 5)).toMatchObject({
      id: "s-1:stop_loss",
      action: "CLOSE",
      symbol: "BTCUSDT",
    });
  });

  it("F25 a flip filled only in part keeps the old position's levels: the new side's are not set on it", () => {
    // Short 1 BTC; a BUY of 2 (the flip) at 59,000 with a long's stop at 58,000.
    const flip = req({ stopLoss: 58_000 });
    // Filled in full: long 1, the long's stop.
    expect(levelsAfterFill(flip, { side: "BUY", closing: false }, 59_000, 1)).toMatchObject({
      direction: 1,
      stopLoss: 58_000,
    });
    // 0.4 filled: still short 0.6, which a stop under the price would never guard.
    expect(levelsAfterFill(flip, { side: "BUY", closing: false }, 59_000, -0.6)).toBeUndefined();
    // A close sets none, an entry from flat filled in part does.
    expect(levelsAfterFill(flip, { side: "BUY", closing: true }, 59_000, 0)).toBeUndefined();
    expect(levelsAfterFill(flip, { side: "BUY", closing: false }, 59_000, 0.4)).toMatchObject({
      direction: 1,
    });
  });
});
