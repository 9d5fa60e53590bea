import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sharedDataDir } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { normalizeStreamEvent } from "./normalize.js";
import { DIFF_DEPTH_REFUSED } from "./stream-kinds.js";

const payload = (path: string) =>
  JSON.parse(readFileSync(join(sharedDataDir(), "binance/binance-payloads", path), "utf8")) as {
    stream: string;
    data: unknown;
  };
const NOW = 1_700_000_000_000;

describe("normalizeStreamEvent on recorded Binance payloads", () => {
  it("takes the symbol of a partial depth20 from the stream name", () => {
    const { stream, data } = payload("crypto-crawler-recorded/spot_depth20_partial.json");
    const r = normalizeStreamEvent(stream, data, NOW);
    expect(r).toMatchObject({
      ok: true,
      value: {
        kind: "depth20",
        symbol: "ETHUSDT",
        eventTime: NOW,
        bids: [["1782.00000000", "6.48300000"], expect.anything()],
      },
    });
  });

  it("F44 refuses diff depth, spot and futures, recorded live, rather than publish its changes as books", () => {
    const recorded = readFileSync(
      join(
        sharedDataDir(),
        "binance/recorded-streams/binance_US_spot_btcusdt_depth_diff_1000ms_2025-07_LukasBraun2.jsonl",
      ),
      "utf8",
    )
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => ({
        stream: "btcusdt@depth",
        data: JSON.parse(line) as unknown,
        market: "spot" as const,
      }));
    const cases = [
      { ...payload("crypto-crawler-recorded/spot_diff_depth_100ms.json"), market: "spot" as const },
      { ...payload("crypto-crawler-recorded/linear_swap_diff_depth_100ms.json"), market: "futures" as const },
      ...recorded,
    ];
    expect(recorded).toHaveLength(71);
    for (const { stream, data, market } of cases)
      expect(normalizeStreamEvent(stream, data, NOW, market)).toEqual({
        ok: false,
        reason: `${stream}: ${DIFF_DEPTH_REFUSED}`,
      });
    // A futures partial book is the same depthUpdate event: the stream name is what tells them apart.
    const partial = payload("crypto-crawler-recorded/linear_swap_depth20_partial.json");
    expect(normalizeStreamEvent(partial.stream, partial.data, NOW, "futures")).toMatchObject({
      ok: true,
      value: { kind: "depth20", symbol: "ETHUSDT", lastUpdateId: 1437010882721 },
    });
  });

  it("reads a futures partial depth as the depthUpdate it is", () => {
    const data = payload("futures/ws_partial_depth5_BTCUSDT_docs_example.json");
    const r = normalizeStreamEvent("btcusdt@depth5@100ms", data, NOW, "futures");
    expect(r).toMatchObject({
      ok: true,
      value: {
        kind: "depth20",
        symbol: "BTCUSDT",
        market: "futures",
        eventTime: 1571889248277,
        lastUpdateId: 390497878,
      },
    });
  });

  it("normalizes trades, aggTrades, klines (forming stays forming) and bookTickers", () => {
    expect(normalizeStreamEvent("bnbbtc@trade", payload("spot/ws_trade.json"), NOW)).toMatchObject({
      ok: true,
      value: { kind: "trade", symbol: "BNBBTC", tradeId: 12345, price: "0.001", buyerIsMaker: true },
    });
    const agg = payload("crypto-crawler-recorded/spot_aggTrade.json");
    expect(normalizeStreamEvent(agg.stream, agg.data, NOW)).toMatchObject({
      ok: true,
      value: { kind: "trade", tradeId: 640283266, price: "58942.01000000" },
    });
    const kline = payload("crypto-crawler-recorded/spot_kline.json");
    expect(normalizeStreamEvent(kline.stream, kline.data, NOW)).toMatchObject({
      ok: true,
      value: { kind: "kline", interval: "1m", isClosed: false, trades: 31 },
    });
    const book = payload("crypto-crawler-recorded/spot_bookTicker.json");
    expect(normalizeStreamEvent(book.stream, book.data, NOW)).toMatchObject({
      ok: true,
      value: { kind: "bookTicker", symbol: "BTCUSDT", bidPrice: "29010.90000000", eventTime: NOW },
    });
  });

  it("reports what it cannot read instead of guessing", () => {
    expect(normalizeStreamEvent("btcusdt@trade", { e: "trade" }, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^btcusdt@trade: invalid MarketData: symbol: .*price: .*missing/),
    });
    expect(normalizeStreamEvent("btcusdt@trade", { e: "depthUpdate" }, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("not a trade"),
    });
    const bad = { ...payload("spot/ws_trade.json"), p: 0.001 };
    expect(normalizeStreamEvent("bnbbtc@trade", bad, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("price"),
    });
    expect(normalizeStreamEvent("btcusdt@forceOrder", {}, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("unsupported"),
    });
  });
});
