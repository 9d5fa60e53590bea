import type { Candle } from "@tradewire/indicators";
import { describe, expect, it } from "vitest";
import { SymbolState } from "./symbol-state.js";

const T0 = Date.UTC(2026, 0, 1);
const candle = (i: number): Candle => {
  const p = 30_000 + (i % 7) * 10;
  return { openTime: T0 + i * 60_000, open: p, high: p + 5, low: p - 5, close: p, volume: 1 };
};
const range = (from: number, n: number) => Array.from({ length: n }, (_, k) => candle(from + k));

describe("SymbolState 1m series", () => {
  it("F40 a live candle after a hole restarts the candle indicators from it and says how many are missing", () => {
    const state = new SymbolState("BTCUSDT");
    for (const c of range(0, 40)) expect(state.onClosedCandle(c)).toBe(0);
    expect(state.ema30.isReady).toBe(true);
    expect(state.firstAfterHole).toBeUndefined();
    expect(state.onClosedCandle(candle(45))).toBe(5);
    expect(state.candles).toBe(1);
    expect(state.ema30.isReady).toBe(false);
    expect(Number.isNaN(state.prevClose)).toBe(true);
    expect(state.firstAfterHole).toEqual(candle(45));
  });

  it("rebuilds on stored history only when it reaches the first live candle after the hole, then takes the live ones", () => {
    const state = new SymbolState("BTCUSDT");
    for (const c of range(0, 40)) state.onClosedCandle(c);
    state.onClosedCandle(candle(45));
    state.onClosedCandle(candle(46));
    // The table stops at minute 43: one short of the hole's end; nothing changes.
    expect(state.rebuild(range(0, 44))).toBe(0);
    expect(state.candles).toBe(2);
    expect(state.rebuild(range(0, 45))).toBe(45);
    expect(state.candles).toBe(47);
    expect(state.lastCandle).toEqual(candle(46));
    expect(state.firstAfterHole).toBeUndefined();
    // The same indicators as a series taken without a hole.
    const whole = new SymbolState("BTCUSDT");
    for (const c of range(0, 47)) whole.onClosedCandle(c);
    expect(state.ema30.value).toBe(whole.ema30.value);
    expect(state.rsi.value).toBe(whole.rsi.value);
  });

  it("takes only the newest run without a hole from stored history (a warm-up across a halt)", () => {
    const state = new SymbolState("BTCUSDT");
    expect(state.rebuild([...range(0, 50), ...range(60, 35)])).toBe(35);
    expect(state.candles).toBe(35);
    expect(state.lastCandle).toEqual(candle(94));
  });

  it("stops waiting for a rebuild once the live run since the hole is as long as a warm-up", () => {
    const state = new SymbolState("BTCUSDT", 3);
    state.onClosedCandle(candle(0));
    state.onClosedCandle(candle(5));
    state.onClosedCandle(candle(6));
    expect(state.firstAfterHole).toEqual(candle(5));
    state.onClosedCandle(candle(7));
    expect(state.firstAfterHole).toBeUndefined();
    expect(state.candles).toBe(3);
  });
});
