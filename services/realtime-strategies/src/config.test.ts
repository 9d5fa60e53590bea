import { ConfigError, parseConfig } from "@tradewire/config";
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "./config.js";

describe("realtime-strategies config", () => {
  it("turns the envelope input and the extraction events off with `off`; blank keeps the default", () => {
    const cfg = parseConfig("test", ConfigSchema, {
      ENVELOPE_SUBJECT: "off",
      EXTRACTION_EVENTS_PREFIX: "off",
    });
    expect(cfg).toMatchObject({ ENVELOPE_SUBJECT: "", EXTRACTION_EVENTS_PREFIX: "" });
    expect(parseConfig("test", ConfigSchema, { EXTRACTION_EVENTS_PREFIX: "" }).EXTRACTION_EVENTS_PREFIX).toBe(
      "binance.extraction",
    );
  });

  it("refuses an extraction events prefix no subject can start with, naming it and its value", () => {
    expect(() => parseConfig("test", ConfigSchema, { EXTRACTION_EVENTS_PREFIX: "binance.*" })).toThrow(
      ConfigError,
    );
    expect(() => parseConfig("test", ConfigSchema, { EXTRACTION_EVENTS_PREFIX: "binance.*" })).toThrow(
      /EXTRACTION_EVENTS_PREFIX: invalid subject token for prefix: "\*".*\(got "binance\.\*"\)/,
    );
  });

  it("F12 STRATEGY_PARAMS: an override is taken, the rest stay defaults; a key no strategy has, a bad value or bad JSON fails the start naming it", () => {
    const taken = parseConfig("test", ConfigSchema, {
      STRATEGY_PARAMS: '{"orderbook_skew":{"imbalanceThreshold":0.4}}',
    }).STRATEGY_PARAMS;
    expect(taken.orderbook_skew).toEqual({ imbalanceThreshold: 0.4, maxSpreadTicks: 3 });
    expect(taken.trade_momentum).toEqual({ flowThreshold: 0.5, minTradesPerSecond: 5 });
    expect(parseConfig("test", ConfigSchema, { STRATEGY_PARAMS: "" }).STRATEGY_PARAMS.momentum_pulse).toEqual(
      {
        adxMin: 20,
      },
    );
    // The example this variable's own comment gave: a misspelled key that left the default.
    const misspelled = '{"orderbook_skew":{"threshold":0.4}}';
    expect(() => parseConfig("test", ConfigSchema, { STRATEGY_PARAMS: misspelled })).toThrow(
      /STRATEGY_PARAMS: orderbook_skew: Unrecognized key: "threshold"/,
    );
    expect(() =>
      parseConfig("test", ConfigSchema, { STRATEGY_PARAMS: '{"momentum_pulse":{"adxMin":-1}}' }),
    ).toThrow(/STRATEGY_PARAMS: momentum_pulse\.adxMin: Too small/);
    expect(() => parseConfig("test", ConfigSchema, { STRATEGY_PARAMS: "{oops" })).toThrow(
      /STRATEGY_PARAMS: not valid JSON/,
    );
  });
});
