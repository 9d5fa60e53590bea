import { describe, expect, it } from "vitest";
import type { AggregatedCandle } from "./candle-bucket.js";
import { TradeAggregator } from "./trade-aggregator.js";

const MIN = 60_000;
const T0 = Date.UTC(2023, 3, 10, 23, 59);

function collect(intervalMs = MIN) {
  const closed: AggregatedCandle[] = [];
  const agg = new TradeAggregator({ intervalMs, onClose: (c) => closed.push(c) });
  return { agg, closed };
}

describe("TradeAggregator", () => {
  it("builds OHLCV from trades and closes when a trade of a later bucket arrives", () => {
    const { agg, closed } = collect();
    agg.update(100, 1, T0 + 5);
    agg.update(105, 2, T0 + 20_000);
    agg.update(98, 0.5, T0 + 40_000);
    agg.update(101, 1.5, T0 + 59_999);
    expect(closed).toHaveLength(0);
    expect(agg.forming).toMatchObject({ open: 100, high: 105, low: 98, close: 101, volume: 5, count: 4 });
    expect(agg.update(102, 1, T0 + MIN)).toBe(1);
    expect(closed[0]).toEqual({
      openTime: T0,
      closeTime: T0 + MIN - 1,
      open: 100,
      high: 105,
      low: 98,
      close: 101,
      volume: 5,
      count: 4,
    });
    expect(new Date(agg.forming?.openTime ?? 0).toISOString()).toBe("2023-04-11T00:00:00.000Z");
  });

  it("skips intervals without trades", () => {
    const { agg, closed } = collect();
    agg.update(100, 1, T0);
    agg.update(101, 1, T0 + 3 * MIN + 1);
    agg.flush(T0 + 4 * MIN);
    expect(closed.map((c) => c.openTime)).toEqual([T0, T0 + 3 * MIN]);
  });

  it("orders open and close by trade time within the forming bucket", () => {
    const { agg } = collect();
    agg.update(100, 1, T0 + 30_000);
    agg.update(90, 1, T0 + 10_000);
    agg.update(95, 1, T0 + 20_000);
    expect(agg.forming).toMatchObject({ open: 90, close: 100, high: 100, low: 90 });
  });

  it("ignores trades for a bucket that already closed", () => {
    const { agg, closed } = collect();
    agg.update(100, 1, T0);
    agg.update(101, 1, T0 + MIN);
    expect(agg.update(50, 1, T0 + 1)).toBe(0);
    agg.flush(T0 + 2 * MIN);
    expect(agg.update(50, 1, T0 + MIN + 1)).toBe(0);
    expect(agg.ignored).toBe(2);
    expect(closed.map((c) => c.low)).toEqual([100, 101]);
  });

  it("flush closes only after the bucket end", () => {
    const { agg, closed } = collect(5 * MIN);
    agg.update(100, 1, T0);
    expect(agg.flush(T0 + MIN - 1)).toBe(0);
    expect(agg.flush(T0 + MIN)).toBe(1);
    expect(closed[0]?.openTime).toBe(Date.UTC(2023, 3, 10, 23, 55));
  });
});
