import { describe, expect, it } from "vitest";
import { FILES, loadCandles, relDiff } from "../test/fixtures.js";
import type { AggregatedCandle } from "./candle-bucket.js";
import { KlineAggregator } from "./kline-aggregator.js";
import type { Candle } from "./types.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2023, 3, 10, 0, 0); // midnight UTC

function k(openTime: number, close: number, volume = 1): Candle {
  return { openTime, open: close - 1, high: close + 2, low: close - 2, close, volume };
}

function collect(intervalMs: number) {
  const closed: AggregatedCandle[] = [];
  const agg = new KlineAggregator({ intervalMs, onClose: (c) => closed.push(c) });
  return { agg, closed };
}

describe("KlineAggregator", () => {
  it("rebuilds Binance's real 5m candles from the real 1m candles, trading-halt gap included", () => {
    const oneMinute = loadCandles(FILES.btc1mWithGap);
    const fiveMinute = loadCandles(FILES.btc5mWithGap);
    const { agg, closed } = collect(5 * MIN);
    for (const c of oneMinute) agg.update(c);
    // the 1m file ends two minutes into a bucket the 5m file does not have yet: still forming
    expect(agg.forming).toMatchObject({ openTime: Date.UTC(2023, 4, 1, 21, 0), count: 2 });
    expect(closed.length).toBe(fiveMinute.length);
    for (let i = 0; i < closed.length; i++) {
      const ours = closed[i];
      const ref = fiveMinute[i];
      if (!ours || !ref) throw new Error(`missing candle ${i}`);
      expect(ours.openTime).toBe(ref.openTime);
      expect([ours.open, ours.high, ours.low, ours.close]).toEqual([ref.open, ref.high, ref.low, ref.close]);
      expect(relDiff(ours.volume, ref.volume)).toBeLessThan(1e-9);
    }
    const halt = Date.UTC(2023, 2, 24, 12, 40);
    expect(closed.some((c) => c.openTime >= halt && c.openTime < halt + 80 * MIN)).toBe(false);
  });

  it("uses UTC bucket boundaries: 4h buckets start at 00:00, 04:00, 08:00 UTC", () => {
    const { agg, closed } = collect(4 * HOUR);
    for (let t = T0 + 2 * HOUR; t < T0 + 10 * HOUR; t += MIN) agg.update(k(t, 100));
    expect(closed.map((c) => new Date(c.openTime).toISOString())).toEqual([
      "2023-04-10T00:00:00.000Z",
      "2023-04-10T04:00:00.000Z",
    ]);
    expect(closed[0]?.count).toBe(120);
    expect(closed[1]?.count).toBe(240);
    expect(closed[1]?.closeTime).toBe(T0 + 8 * HOUR - 1);
    expect(agg.forming?.openTime).toBe(T0 + 8 * HOUR);
  });

  it("closes a bucket when the 1m candle that ends it arrives, not earlier", () => {
    const { agg, closed } = collect(5 * MIN);
    expect(agg.update(k(T0, 10, 1))).toBe(0);
    expect(agg.update(k(T0 + MIN, 12, 2))).toBe(0);
    expect(agg.update(k(T0 + 2 * MIN, 9, 3))).toBe(0);
    expect(agg.update(k(T0 + 3 * MIN, 11, 4))).toBe(0);
    expect(closed).toHaveLength(0);
    expect(agg.update(k(T0 + 4 * MIN, 13, 5))).toBe(1);
    expect(closed[0]).toEqual({
      openTime: T0,
      closeTime: T0 + 5 * MIN - 1,
      open: 9,
      high: 15,
      low: 7,
      close: 13,
      volume: 15,
      count: 5,
    });
    expect(agg.forming).toBeUndefined();
    expect(agg.lastClosed).toEqual(closed[0]);
  });

  it("exposes the forming candle as it grows", () => {
    const { agg } = collect(15 * MIN);
    agg.update(k(T0, 10, 1));
    expect(agg.forming).toMatchObject({ openTime: T0, open: 9, high: 12, low: 8, close: 10, count: 1 });
    agg.update(k(T0 + MIN, 20, 2));
    expect(agg.forming).toMatchObject({ open: 9, high: 22, low: 8, close: 20, volume: 3, count: 2 });
    expect(agg.lastClosed).toBeUndefined();
  });

  it("closes a bucket with missing minutes when a later bucket starts", () => {
    const { agg, closed } = collect(5 * MIN);
    agg.update(k(T0, 10));
    agg.update(k(T0 + MIN, 11));
    // minutes 2-4 and the whole next bucket are missing
    expect(agg.update(k(T0 + 10 * MIN, 12))).toBe(1);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ openTime: T0, close: 11, count: 2 });
    expect(agg.forming).toMatchObject({ openTime: T0 + 10 * MIN, count: 1 });
  });

  it("closes two buckets at once when a gap is followed by the last minute of a bucket", () => {
    const { agg, closed } = collect(5 * MIN);
    agg.update(k(T0, 10));
    expect(agg.update(k(T0 + 9 * MIN, 12))).toBe(2);
    expect(closed.map((c) => [c.openTime, c.count])).toEqual([
      [T0, 1],
      [T0 + 5 * MIN, 1],
    ]);
  });

  it("flush closes the forming bucket only once its end has passed", () => {
    const { agg, closed } = collect(5 * MIN);
    agg.update(k(T0, 10));
    expect(agg.flush(T0 + 5 * MIN - 1)).toBe(0);
    expect(agg.flush(T0 + 5 * MIN)).toBe(1);
    expect(closed).toHaveLength(1);
    expect(agg.flush(T0 + 60 * MIN)).toBe(0);
  });

  it("ignores duplicate and late klines and counts them", () => {
    const { agg, closed } = collect(5 * MIN);
    for (let m = 0; m < 5; m++) agg.update(k(T0 + m * MIN, 10 + m));
    expect(agg.update(k(T0 + 4 * MIN, 99))).toBe(0);
    agg.update(k(T0 + 5 * MIN, 20));
    expect(agg.update(k(T0 + 5 * MIN, 99))).toBe(0);
    expect(agg.update(k(T0 + 2 * MIN, 99))).toBe(0);
    expect(agg.ignored).toBe(3);
    expect(closed).toHaveLength(1);
    expect(agg.forming?.close).toBe(20);
  });

  it("rejects an interval that is not a multiple of the source interval", () => {
    expect(() => new KlineAggregator({ intervalMs: 90_000 })).toThrow(RangeError);
    expect(() => new KlineAggregator({ intervalMs: 0 })).toThrow(RangeError);
  });

  it("reset forgets the forming candle", () => {
    const { agg } = collect(5 * MIN);
    agg.update(k(T0, 10));
    agg.reset();
    expect(agg.forming).toBeUndefined();
    agg.update(k(T0, 10));
    expect(agg.forming?.count).toBe(1);
  });
});
