import { describe, expect, it } from "vitest";
import { barLine, formatDuration, rateAndEta, table } from "./progress.js";

describe("progress", () => {
  it("computes rate and ETA from candles done", () => {
    const { rate, etaS } = rateAndEta({ expected: 1000, done: 250, startedAt: 0 }, 5_000);
    expect(rate).toBe(50);
    expect(etaS).toBe(15);
  });

  it("draws a bar with counts, rate and ETA", () => {
    const line = barLine(
      { symbol: "BTCUSDT", expected: 100, done: 50, startedAt: 0, finished: false },
      10_000,
      10,
    );
    expect(line).toContain("[#####.....]");
    expect(line).toContain("50/100");
    expect(line).toContain("5/s");
    expect(line).toContain("ETA 10s");
  });

  it("formats durations and tables", () => {
    expect(formatDuration(3725)).toBe("1h02m");
    expect(formatDuration(65)).toBe("1m05s");
    expect(formatDuration(undefined)).toBe("--");
    expect(table(["symbol", "n"], [["BTCUSDT", "1"]])).toBe("symbol   n\n-------  -\nBTCUSDT  1");
  });
});
