import { parseConfig } from "@tradewire/config";
import { describe, expect, it } from "vitest";
import { ConfigSchema, isLiveBinanceHost } from "./config.js";

const keys = { DATABASE_URL: "postgres://x", BINANCE_API_KEY: "k", BINANCE_API_SECRET: "s" };

describe("trade-engine configuration", () => {
  it("refuses TRADING_MODE=testnet pointed at a live Binance host: real money without the live interlock", () => {
    for (const host of ["https://api.binance.com", "https://fapi.binance.com", "https://api3.binance.com/"])
      expect(() =>
        parseConfig("trade-engine", ConfigSchema, {
          ...keys,
          TRADING_MODE: "testnet",
          BINANCE_HTTP_BASE: host,
        }),
      ).toThrow(/BINANCE_HTTP_BASE.*is a live Binance host: TRADING_MODE=testnet would trade real money/);
    // The testnet hosts, a local fake, and live with its confirmation are fine.
    for (const host of [
      "https://testnet.binance.vision",
      "https://testnet.binancefuture.com",
      "http://127.0.0.1:9000",
    ])
      expect(
        parseConfig("trade-engine", ConfigSchema, {
          ...keys,
          TRADING_MODE: "testnet",
          BINANCE_HTTP_BASE: host,
        }).BINANCE_HTTP_BASE,
      ).toBe(host);
    expect(
      parseConfig("trade-engine", ConfigSchema, {
        ...keys,
        TRADING_MODE: "live",
        LIVE_TRADING_CONFIRM: "yes",
        BINANCE_HTTP_BASE: "https://api.binance.com",
      }).TRADING_MODE,
    ).toBe("live");
  });

  it("names BINANCE_HTTP_BASE and its value when it is no http(s) URL", () => {
    expect(() =>
      parseConfig("trade-engine", ConfigSchema, {
        ...keys,
        TRADING_MODE: "testnet",
        BINANCE_HTTP_BASE: "api.binance.com",
      }),
    ).toThrow(/BINANCE_HTTP_BASE.*must be an http:\/\/ or https:\/\/ URL, got "api.binance.com"/);
  });

  it("tells live hosts from testnet ones", () => {
    expect(isLiveBinanceHost("https://api.binance.com")).toBe(true);
    expect(isLiveBinanceHost("https://API.BINANCE.COM:443")).toBe(true);
    expect(isLiveBinanceHost("https://testnet.binance.vision")).toBe(false);
    expect(isLiveBinanceHost("https://demo-fapi.binance.com")).toBe(false);
    expect(isLiveBinanceHost("https://binance.com.evil.example")).toBe(false);
  });
});
