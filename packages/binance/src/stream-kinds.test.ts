import { describe, expect, it } from "vitest";
import { DIFF_DEPTH_REFUSED, unsupportedStream } from "./stream-kinds.js";

describe("stream kinds the relay carries", () => {
  it("takes partial depth, trades, klines and bookTicker", () => {
    for (const suffix of [
      "depth20@100ms",
      "depth20",
      "depth5@250ms",
      "depth10@1000ms",
      "trade",
      "aggTrade",
      "kline_1m",
      "kline_1M",
      "kline_4h",
      "bookTicker",
    ])
      expect(unsupportedStream(suffix), suffix).toBeUndefined();
  });

  it("F44 refuses diff depth, at every speed, saying why and what to use", () => {
    for (const suffix of ["depth", "depth@100ms", "depth@1000ms", "depth@500ms"])
      expect(unsupportedStream(suffix), suffix).toBe(DIFF_DEPTH_REFUSED);
    expect(DIFF_DEPTH_REFUSED).toContain("use depth20@100ms");
  });

  it("refuses what the normalizer cannot read, listing what it can", () => {
    for (const suffix of ["markPrice@1s", "depth20@200ms", "depth15", "kline_2m", "ticker", "Trade", ""])
      expect(unsupportedStream(suffix), suffix).toMatch(
        /^not a stream the relay carries \(depth5\|depth10\|depth20/,
      );
  });
});
