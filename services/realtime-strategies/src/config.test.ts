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
});
