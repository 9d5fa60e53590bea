import { ConfigError, parseConfig } from "@tradewire/config";
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "./config.js";

const parse = (STREAMS: string) => parseConfig("market-relay", ConfigSchema, { STREAMS });

describe("market-relay configuration", () => {
  it("F44 refuses a diff-depth stream at start, naming it and saying what to use", () => {
    let error: unknown;
    try {
      parse("depth@100ms,trade,markPrice@1s");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems } = error as ConfigError;
    expect(problems.map((p) => [p.variable, p.message])).toEqual([
      [
        "STREAMS",
        expect.stringMatching(/^"depth@100ms": diff depth is not relayed: .*\(F44\).*use depth20@100ms/),
      ],
      ["STREAMS", expect.stringMatching(/^"markPrice@1s": not a stream the relay carries/)],
    ]);
    expect(problems[0]?.value).toBe("depth@100ms,trade,markPrice@1s");
  });

  it("takes the default streams and partial books at other depths and speeds", () => {
    expect(parseConfig("market-relay", ConfigSchema, {}).STREAMS).toEqual([
      "depth20@100ms",
      "trade",
      "kline_1m",
      "bookTicker",
    ]);
    expect(parse("depth5@250ms,aggTrade,kline_5m").STREAMS).toHaveLength(3);
    expect(parse("depth10,trade").STREAMS).toHaveLength(2);
  });

  it("F16 refuses two streams that would publish on one subject (trade and aggTrade, two partial depths), naming both", () => {
    expect(() => parse("trade,aggTrade")).toThrow(
      /STREAMS: "trade" and "aggTrade" would both publish on md\.binance\.<SYMBOL>\.trade, interleaved: keep one/,
    );
    expect(() => parse("depth5,depth20@100ms")).toThrow(
      /"depth5" and "depth20@100ms" would both publish on .*\.depth20/,
    );
    // Klines of two intervals have a subject each.
    expect(parse("kline_1m,kline_5m,trade").STREAMS).toHaveLength(3);
  });
});
