import { join } from "node:path";
import { MarketData } from "@tradewire/schemas";
import { sharedDataDir } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { describeCandleFile, intervalToMs, loadCandles } from "./candle-file.js";
import { CandleMarket } from "./candle-market.js";

const file = (name: string) => join(sharedDataDir(), "binance/candles", name);
const BTC_5M = file("binance_spot_BTC_USDT-5m_2023-04-05_to_2023-05-05_freqtrade_NO_GAP.json");
const XRP_ETH = file("freqtrade_testdata_XRP_ETH-5m_2019-10-11_binance.json");

describe("replay of the real candle files", () => {
  it("reads symbol and interval from the file name", () => {
    expect(describeCandleFile(BTC_5M)).toEqual({ symbol: "BTCUSDT", interval: "5m" });
    expect(
      describeCandleFile(file("freqtrade_testdata_XRP_USDT_USDT-5m-futures_2021-11_binance.json")),
    ).toEqual({
      symbol: "XRPUSDT",
      interval: "5m",
    });
    expect(describeCandleFile("/tmp/prices.json")).toEqual({});
  });

  it("closes every kline exactly as the file has it, with trades inside the candle and an uncrossed book", () => {
    for (const [path, symbol] of [
      [BTC_5M, "BTCUSDT"],
      [XRP_ETH, "XRPETH"],
    ] as const) {
      const candles = loadCandles(path).slice(0, 300);
      const market = new CandleMarket(symbol, "5m", intervalToMs("5m"));
      for (const candle of candles) {
        const messages = market.steps(candle).flatMap((s) => s.messages);
        for (const m of messages) expect(MarketData.safeParse(m).success).toBe(true);
        const closed = messages.filter((m) => m.kind === "kline" && m.isClosed);
        expect(closed).toHaveLength(1);
        expect(closed[0]).toMatchObject({
          openTime: candle.openTime,
          open: String(candle.open),
          high: String(candle.high),
          low: String(candle.low),
          close: String(candle.close),
        });
        let volume = 0;
        for (const m of messages) {
          if (m.kind === "trade") {
            expect(Number(m.price)).toBeGreaterThanOrEqual(candle.low);
            expect(Number(m.price)).toBeLessThanOrEqual(candle.high);
            volume += Number(m.quantity);
          }
          if (m.kind === "bookTicker") expect(Number(m.bidPrice)).toBeLessThan(Number(m.askPrice));
          if (m.kind === "depth20") expect(Number(m.bids[19]?.[0])).toBeGreaterThan(0);
        }
        expect(volume).toBeCloseTo(candle.volume, 6);
      }
    }
  });

  it("names the row that is not a candle", () => {
    expect(() => loadCandles(join(sharedDataDir(), "binance/binance-payloads/spot/ws_trade.json"))).toThrow(
      /expected a non-empty array of candles/,
    );
  });
});
