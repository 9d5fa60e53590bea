import { describe, expect, it } from "vitest";
import { FILES, loadCandles, relDiff } from "../test/fixtures.js";
import { BollingerBands } from "./bollinger.js";
import { RealizedVolatility } from "./realized-volatility.js";
import { SMA } from "./sma.js";

/** Strictly relative difference (returns and volatilities are far below 1). */
function strictRel(a: number, b: number): number {
  return a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

const closes = loadCandles(FILES.btc1mWithGap).map((c) => c.close);

function batchMeanStd(xs: number[], ddof: number): [number, number] {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  return [mean, Math.sqrt(ss / (xs.length - ddof))];
}

describe("rolling statistics", () => {
  it("SMA and Bollinger stay within 1e-9 of a batch computation over 66k real 1m closes (no drift)", () => {
    const sma = new SMA(20);
    const bb = new BollingerBands(20, 2);
    let checked = 0;
    for (let i = 0; i < closes.length; i++) {
      sma.update(closes[i] ?? 0);
      bb.update(closes[i] ?? 0);
      if (i < 19 || i % 97 !== 0) continue;
      const [mean, std] = batchMeanStd(closes.slice(i - 19, i + 1), 0);
      expect(relDiff(sma.value, mean)).toBeLessThan(1e-9);
      expect(relDiff(bb.stdDev, std)).toBeLessThan(1e-9);
      expect(relDiff(bb.upper, mean + 2 * std)).toBeLessThan(1e-9);
      checked++;
    }
    expect(checked).toBeGreaterThan(600);
  });

  it("RealizedVolatility is the sample stddev of log returns, annualised on request", () => {
    const period = 60;
    const vol = new RealizedVolatility(period);
    const annual = new RealizedVolatility(period, { periodsPerYear: 525_600 });
    const n = 5_000;
    for (let i = 0; i < n; i++) {
      const v = vol.update(closes[i] ?? 0);
      annual.update(closes[i] ?? 0);
      expect(vol.isReady).toBe(i + 1 >= vol.warmupPeriod);
      if (!vol.isReady) {
        expect(v).toBeNaN();
        continue;
      }
      const returns: number[] = [];
      for (let j = i - period + 1; j <= i; j++)
        returns.push(Math.log((closes[j] ?? 0) / (closes[j - 1] ?? 0)));
      const [, std] = batchMeanStd(returns, 1);
      expect(strictRel(v, std)).toBeLessThan(1e-9);
      expect(strictRel(annual.value, std * Math.sqrt(525_600))).toBeLessThan(1e-9);
    }
    vol.reset();
    expect(vol.isReady).toBe(false);
  });
});
