import {
  ADX as TiADX,
  ATR as TiATR,
  BollingerBands as TiBB,
  EMA as TiEMA,
  Highest as TiHighest,
  Lowest as TiLowest,
  MACD as TiMACD,
  SMA as TiSMA,
  VWAP as TiVWAP,
} from "technicalindicators";
import { BollingerBands as TsBB, RSI as TsRSI, SMA as TsSMA } from "trading-signals";
import { describe, expect, it } from "vitest";
import { expectClose, FILES, loadCandles } from "../test/fixtures.js";
import { ADX } from "./adx.js";
import { ATR } from "./atr.js";
import { BollingerBands } from "./bollinger.js";
import { EMA } from "./ema.js";
import { MACD } from "./macd.js";
import { RollingHighLow } from "./rolling-extreme.js";
import { RSI } from "./rsi.js";
import { SMA } from "./sma.js";
import type { Indicator } from "./types.js";
import { VWAP } from "./vwap.js";

const candles = loadCandles(FILES.btc5mNoGap, 3000);
const closes = candles.map((c) => c.close);
const highs = candles.map((c) => c.high);
const lows = candles.map((c) => c.low);
const volumes = candles.map((c) => c.volume);

/** Runs `step` per candle and collects `read()` once the indicator is ready, checking warm-up. */
function series(ind: Indicator, step: (i: number) => void, read: () => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < candles.length; i++) {
    step(i);
    expect(ind.isReady).toBe(i + 1 >= ind.warmupPeriod);
    if (ind.isReady) out.push(read());
    else expect(Number.isNaN(read())).toBe(true);
  }
  return out;
}

/** trading-signals indicators take `update(value, replace)`; `replace = false` appends. */
function tsSeries(ind: { update(v: number, replace: boolean): unknown }, inputs: number[]): number[] {
  const out: number[] = [];
  for (const v of inputs) {
    const r = ind.update(v, false);
    if (typeof r === "number") out.push(r);
  }
  return out;
}

describe("indicators match independent references on real BTC/USDT 5m candles", () => {
  it("has enough data", () => {
    expect(candles.length).toBe(3000);
  });

  it("SMA(20) matches trading-signals and technicalindicators", () => {
    const sma = new SMA(20);
    const ours = series(
      sma,
      (i) => sma.update(closes[i] ?? 0),
      () => sma.value,
    );
    expectClose("SMA vs trading-signals", ours, tsSeries(new TsSMA(20), closes));
    expectClose("SMA vs technicalindicators", ours, TiSMA.calculate({ period: 20, values: closes }));
  });

  it("EMA(20) matches technicalindicators (SMA-seeded)", () => {
    const ema = new EMA(20);
    const ours = series(
      ema,
      (i) => ema.update(closes[i] ?? 0),
      () => ema.value,
    );
    expectClose("EMA", ours, TiEMA.calculate({ period: 20, values: closes }));
  });

  it("RSI(14) matches trading-signals (Wilder)", () => {
    const rsi = new RSI(14);
    const ours = series(
      rsi,
      (i) => rsi.update(closes[i] ?? 0),
      () => rsi.value,
    );
    expectClose("RSI", ours, tsSeries(new TsRSI(14), closes));
  });

  it("MACD(12,26,9) matches technicalindicators with EMA oscillator and signal", () => {
    const macd = new MACD(12, 26, 9);
    const line: number[] = [];
    const signal: number[] = [];
    const hist: number[] = [];
    const ours = series(
      macd,
      (i) => macd.update(closes[i] ?? 0),
      () => macd.signal,
    );
    expect(ours.length).toBe(candles.length - 33);
    macd.reset();
    for (const c of closes) {
      macd.update(c);
      if (!Number.isNaN(macd.line)) line.push(macd.line);
      if (macd.isReady) {
        signal.push(macd.signal);
        hist.push(macd.histogram);
      }
    }
    const ref = TiMACD.calculate({
      values: closes,
      fastPeriod: 12,
      slowPeriod: 26,
      signalPeriod: 9,
      SimpleMAOscillator: false,
      SimpleMASignal: false,
    });
    expectClose(
      "MACD line",
      line,
      ref.map((r) => r.MACD ?? Number.NaN),
    );
    const refReady = ref.filter((r) => r.signal !== undefined);
    expectClose(
      "MACD signal",
      signal,
      refReady.map((r) => r.signal ?? Number.NaN),
    );
    expectClose(
      "MACD histogram",
      hist,
      refReady.map((r) => r.histogram ?? Number.NaN),
    );
  });

  it("Bollinger(20, 2) matches trading-signals and technicalindicators (population stddev)", () => {
    const bb = new BollingerBands(20, 2);
    const upper: number[] = [];
    const lower: number[] = [];
    const middle = series(
      bb,
      (i) => {
        bb.update(closes[i] ?? 0);
        if (bb.isReady) {
          upper.push(bb.upper);
          lower.push(bb.lower);
        }
      },
      () => bb.middle,
    );
    const ts = new TsBB(20, 2);
    const tsOut = closes.map((c) => ts.update(c, false)).filter((r) => r !== null);
    expectClose(
      "BB middle vs trading-signals",
      middle,
      tsOut.map((r) => r.middle),
    );
    expectClose(
      "BB upper vs trading-signals",
      upper,
      tsOut.map((r) => r.upper),
    );
    expectClose(
      "BB lower vs trading-signals",
      lower,
      tsOut.map((r) => r.lower),
    );
    const ti = TiBB.calculate({ period: 20, stdDev: 2, values: closes });
    expectClose(
      "BB upper vs technicalindicators",
      upper,
      ti.map((r) => r.upper),
    );
    expectClose(
      "BB lower vs technicalindicators",
      lower,
      ti.map((r) => r.lower),
    );
  });

  it("ATR(14) matches technicalindicators (Wilder, TR from the second bar)", () => {
    const atr = new ATR(14);
    const ours = series(
      atr,
      (i) => atr.update(highs[i] ?? 0, lows[i] ?? 0, closes[i] ?? 0),
      () => atr.value,
    );
    expectClose("ATR", ours, TiATR.calculate({ period: 14, high: highs, low: lows, close: closes }));
  });

  it("ADX(14) with +DI/-DI matches technicalindicators (Wilder)", () => {
    const adx = new ADX(14);
    const pdi: number[] = [];
    const mdi: number[] = [];
    const ours = series(
      adx,
      (i) => {
        adx.update(highs[i] ?? 0, lows[i] ?? 0, closes[i] ?? 0);
        if (adx.isReady) {
          pdi.push(adx.plusDI);
          mdi.push(adx.minusDI);
        }
      },
      () => adx.value,
    );
    const ref = TiADX.calculate({ period: 14, high: highs, low: lows, close: closes });
    expectClose(
      "ADX",
      ours,
      ref.map((r) => r.adx),
    );
    expectClose(
      "+DI",
      pdi,
      ref.map((r) => r.pdi),
    );
    expectClose(
      "-DI",
      mdi,
      ref.map((r) => r.mdi),
    );
  });

  it("RollingHighLow(20) matches technicalindicators Highest/Lowest", () => {
    const hl = new RollingHighLow(20);
    const lowOut: number[] = [];
    const highOut = series(
      hl,
      (i) => {
        hl.update(highs[i] ?? 0, lows[i] ?? 0);
        if (hl.isReady) lowOut.push(hl.low);
      },
      () => hl.high,
    );
    expectClose("highest", highOut, TiHighest.calculate({ period: 20, values: highs }), 0);
    expectClose("lowest", lowOut, TiLowest.calculate({ period: 20, values: lows }), 0);
  });

  it("cumulative VWAP matches technicalindicators", () => {
    const vwap = new VWAP();
    const ours = candles.map((c) => vwap.updateBar(c.high, c.low, c.close, c.volume));
    const ref = TiVWAP.calculate({ high: highs, low: lows, close: closes, volume: volumes });
    expectClose("VWAP", ours, ref);
  });

  it("VWAP with a per-UTC-day reset matches technicalindicators run on each day separately", () => {
    const day = 86_400_000;
    const vwap = new VWAP({ resetIntervalMs: day });
    const ours = candles.map((c) => vwap.updateBar(c.high, c.low, c.close, c.volume, c.openTime));
    const ref: number[] = [];
    let from = 0;
    for (let i = 1; i <= candles.length; i++) {
      const prevDay = Math.floor((candles[i - 1]?.openTime ?? 0) / day);
      if (i < candles.length && Math.floor((candles[i]?.openTime ?? 0) / day) === prevDay) continue;
      const slice = (xs: number[]) => xs.slice(from, i);
      ref.push(
        ...TiVWAP.calculate({
          high: slice(highs),
          low: slice(lows),
          close: slice(closes),
          volume: slice(volumes),
        }),
      );
      from = i;
    }
    expect(new Set(candles.map((c) => Math.floor(c.openTime / day))).size).toBeGreaterThan(5);
    expectClose("daily VWAP", ours, ref);
  });

  it("reset returns every indicator to its freshly constructed state", () => {
    const make = () => [
      new SMA(20),
      new EMA(20),
      new RSI(14),
      new MACD(),
      new BollingerBands(),
      new ATR(),
      new ADX(),
    ];
    const feed = (xs: ReturnType<typeof make>, from: number, to: number) => {
      const out: number[] = [];
      for (let i = from; i < to; i++) {
        const c = candles[i];
        if (!c) continue;
        for (const x of xs) {
          if (x instanceof ATR || x instanceof ADX) x.update(c.high, c.low, c.close);
          else x.update(c.close);
        }
      }
      for (const x of xs) {
        if (x instanceof MACD) out.push(x.line, x.signal, x.histogram);
        else if (x instanceof BollingerBands) out.push(x.middle, x.upper, x.lower);
        else out.push(x.value);
      }
      return out;
    };
    const used = make();
    feed(used, 0, 500);
    for (const x of used) x.reset();
    for (const x of used) expect(x.isReady).toBe(false);
    expect(feed(used, 1000, 1100)).toEqual(feed(make(), 1000, 1100));
  });
});
