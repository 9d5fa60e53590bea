import { describe, expect, it } from "vitest";
import { combinedStreamUrl, shardStreams, streamNames } from "./stream-plan.js";

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

  it("builds the combined-stream URL", () => {
    expect(combinedStreamUrl("wss://stream.binance.com:9443/", ["btcusdt@trade", "ethusdt@trade"])).toBe(
      "wss://stream.binance.com:9443/stream?streams=btcusdt@trade/ethusdt@trade",
    );
  });
});
