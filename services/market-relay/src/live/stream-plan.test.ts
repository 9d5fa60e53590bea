import { describe, expect, it } from "vitest";
import { combinedStreamUrl, planShards, shardStreams, streamNames } from "./stream-plan.js";

describe("stream plan", () => {
  it("F41 subscribes every configured stream of every configured symbol", () => {
    expect(streamNames(["BTCUSDT", "ETHUSDT"], ["depth20@100ms", "kline_1m"])).toEqual([
      "btcusdt@depth20@100ms",
      "btcusdt@kline_1m",
      "ethusdt@depth20@100ms",
      "ethusdt@kline_1m",
    ]);
  });

  it("shards beyond the per-connection limit and loses no stream", () => {
    const names = streamNames(
      Array.from({ length: 300 }, (_, i) => `S${i}USDT`),
      ["trade", "bookTicker", "kline_1m", "depth20@100ms"],
    );
    const shards = shardStreams(names, 1024);
    expect(shards.map((s) => s.length)).toEqual([1024, 176]);
    expect(shards.flat()).toEqual(names);
    expect(() => shardStreams(names, 0)).toThrow(/maxPerConnection must be >= 1, got 0/);
  });

  it("futures: book streams go to /public and the rest to /market, where Binance serves them since 2026-04-23", () => {
    const names = streamNames(["BTCUSDT"], ["depth20@100ms", "trade", "kline_1m", "bookTicker"]);
    expect(planShards(names, "futures", 1024)).toEqual([
      { route: "/public", streams: ["btcusdt@depth20@100ms", "btcusdt@bookTicker"] },
      { route: "/market", streams: ["btcusdt@trade", "btcusdt@kline_1m"] },
    ]);
    // Spot keeps one root, sharded as before.
    expect(planShards(names, "spot", 3)).toEqual([
      { route: "", streams: ["btcusdt@depth20@100ms", "btcusdt@trade", "btcusdt@kline_1m"] },
      { route: "", streams: ["btcusdt@bookTicker"] },
    ]);
    expect(combinedStreamUrl("wss://fstream.binance.com", ["btcusdt@kline_1m"], "/market")).toBe(
      "wss://fstream.binance.com/market/stream?streams=btcusdt@kline_1m",
    );
  });

  it("builds the combined-stream URL", () => {
    expect(combinedStreamUrl("wss://stream.binance.com:9443/", ["btcusdt@trade", "ethusdt@trade"])).toBe(
      "wss://stream.binance.com:9443/stream?streams=btcusdt@trade/ethusdt@trade",
    );
  });
});
