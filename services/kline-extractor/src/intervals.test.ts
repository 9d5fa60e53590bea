import { describe, expect, it } from "vitest";
import {
  alignUp,
  candleOpen,
  candlesBetween,
  closeTimeOf,
  lastClosedOpen,
  nextCloseAt,
  nextOpen,
} from "./intervals.js";

const T = (iso: string) => Date.parse(iso);

describe("interval math", () => {
  it("aligns minute and hour candles on the epoch grid", () => {
    expect(candleOpen("5m", T("2023-03-24T12:43:17Z"))).toBe(T("2023-03-24T12:40:00Z"));
    expect(candleOpen("4h", T("2023-03-24T13:00:00Z"))).toBe(T("2023-03-24T12:00:00Z"));
    expect(alignUp("1m", T("2023-03-16T00:00:00Z"))).toBe(T("2023-03-16T00:00:00Z"));
    expect(alignUp("1m", T("2023-03-16T00:00:01Z"))).toBe(T("2023-03-16T00:01:00Z"));
  });

  it("opens weeks on Monday and months on the 1st, as Binance does", () => {
    expect(candleOpen("1w", T("2023-03-24T12:00:00Z"))).toBe(T("2023-03-20T00:00:00Z"));
    expect(candleOpen("1M", T("2023-03-24T12:00:00Z"))).toBe(T("2023-03-01T00:00:00Z"));
    expect(nextOpen("1M", T("2023-12-01T00:00:00Z"))).toBe(T("2024-01-01T00:00:00Z"));
    expect(candlesBetween("1M", T("2023-01-01T00:00:00Z"), T("2023-12-01T00:00:00Z"))).toBe(12);
  });

  it("gives Binance's close time: the last millisecond before the next open", () => {
    expect(closeTimeOf("1m", T("2023-03-16T00:00:00Z"))).toBe(T("2023-03-16T00:00:59.999Z"));
  });

  it("F42 the last closed candle is never the one still forming", () => {
    const now = T("2023-03-24T12:43:17Z");
    expect(lastClosedOpen("1m", now)).toBe(T("2023-03-24T12:42:00Z"));
    expect(lastClosedOpen("5m", now)).toBe(T("2023-03-24T12:35:00Z"));
    // exactly at a boundary the candle that just opened is forming; the previous one closed
    expect(lastClosedOpen("1m", T("2023-03-24T12:43:00Z"))).toBe(T("2023-03-24T12:42:00Z"));
    expect(lastClosedOpen("1M", T("2023-03-24T12:00:00Z"))).toBe(T("2023-02-01T00:00:00Z"));
  });

  it("counts candles inclusively and schedules the next close", () => {
    expect(candlesBetween("1m", T("2023-03-16T00:00:00Z"), T("2023-03-16T00:59:00Z"))).toBe(60);
    expect(candlesBetween("1m", 10, 5)).toBe(0);
    expect(nextCloseAt("15m", T("2023-03-24T12:43:17Z"))).toBe(T("2023-03-24T12:45:00Z"));
  });
});
