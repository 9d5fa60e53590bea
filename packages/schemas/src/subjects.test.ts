import { describe, expect, it } from "vitest";
import { SubjectTokenError, subjects } from "./subjects.js";

describe("subjects", () => {
  it("builds market-data subjects with the symbol as its own token", () => {
    expect(subjects.marketData("BTCUSDT", "trade")).toBe("md.binance.BTCUSDT.trade");
    expect(subjects.marketData("BTCUSDT", "kline", "1m")).toBe("md.binance.BTCUSDT.kline.1m");
    expect(subjects.marketDataForSymbol("ETHUSDT")).toBe("md.binance.ETHUSDT.>");
  });

  it("builds extraction subjects in the operators' format", () => {
    expect(subjects.extraction("klines", "BTCUSDT", "15m")).toBe("binance.extraction.klines.BTCUSDT.15m");
    expect(subjects.extractionBatch("klines_gap_filling", "1h")).toBe(
      "binance.extraction.klines_gap_filling.batch.1h",
    );
    expect(subjects.extraction("klines", "BTCUSDT", "1m", "acme.extract")).toBe(
      "acme.extract.klines.BTCUSDT.1m",
    );
  });

  it("F10 covers both the bare and the per-strategy signal subject", () => {
    expect(subjects.signal()).toBe("signals.trading");
    expect(subjects.signal("orderbook_skew")).toBe("signals.trading.orderbook_skew");
    expect(subjects.signalSubjects()).toEqual(["signals.trading", "signals.trading.>"]);
  });

  it("refuses tokens that would change the subject's shape", () => {
    expect(() => subjects.marketData("BTC.USDT", "trade")).toThrow(SubjectTokenError);
    expect(() => subjects.signal("*")).toThrow(/strategyId/);
    expect(() => subjects.extraction("klines", "BTCUSDT", "1m", "a..b")).toThrow(SubjectTokenError);
  });
});
