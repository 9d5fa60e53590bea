import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseExchangeFilters } from "@tradewire/binance";
import { parseConfig } from "@tradewire/config";
import { sharedDataDir } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "./config.js";
import { isDust, lotOf } from "./dust.js";

const filters = (file: string) =>
  parseExchangeFilters(
    JSON.parse(readFileSync(join(sharedDataDir(), "binance/binance-payloads/exchangeInfo", file), "utf8")),
  );
const spot = filters("spot_exchangeInfo_2024-09-08_BTCUSDT_ETHUSDT_trimmed.json");
const futures = filters("futures_fapi_exchangeInfo_2022-05-04_BTCUSDT_ETHUSDT_trimmed.json");
const cfg = (env: Record<string, string> = {}) =>
  parseConfig("test", ConfigSchema, { BINANCE_API_KEY: "k", BINANCE_API_SECRET: "s", ...env });

describe("dust: what no order could sell", () => {
  it("spot (real exchangeInfo, step 0.00001, NOTIONAL 5): under the step, or worth under 5 USDT, is dust", () => {
    const live = cfg({ TRADING_MODE: "testnet" });
    const lot = lotOf("BTCUSDT", 30_000, live, spot);
    // A base-asset commission's remainder: nothing left once rounded down to the step.
    expect(isDust(0.00000877, lot, 30_000)).toBe(true);
    // 0.00016 BTC at 30,000 is 4.80 USDT: tradable by step, refused by NOTIONAL.
    expect(isDust(0.00016, lot, 30_000)).toBe(true);
    expect(isDust(-0.00016, lot, 30_000)).toBe(true);
    expect(isDust(0.00017, lot, 30_000)).toBe(false);
    expect(isDust(0, lot, 30_000)).toBe(false);
    // A symbol the filters do not know is never taken for dust (sizing refuses it by name).
    expect(isDust(0.00016, lotOf("DOGEUSDT", 0.1, live, spot), 0.1)).toBe(false);
  });

  it("USD-M waives the notional for a reduce-only close: only what the step cannot sell is dust there", () => {
    const live = cfg({ TRADING_MODE: "testnet", BINANCE_MARKET: "futures" });
    const lot = lotOf("BTCUSDT", 30_000, live, futures);
    expect(lot?.minNotional).toBeUndefined();
    expect(isDust(0.001, lot, 30_000)).toBe(false);
    // $1 of it: sellable all the same.
    expect(isDust(0.001, lot, 1_000)).toBe(false);
    expect(isDust(0.0009, lot, 30_000)).toBe(true);
  });

  it("paper without filters sells exactly what is held: dust is what is worth under MIN_NOTIONAL", () => {
    const paper = cfg({ MIN_NOTIONAL: "10" });
    const lot = lotOf("BTCUSDT", 30_000, paper, undefined);
    // What a sale of most of a $100 position leaves: 0.00017 BTC, $5.10.
    expect(isDust(0.00017, lot, 30_000)).toBe(true);
    expect(isDust(0.0004, lot, 30_000)).toBe(false);
    // No price known (adopted from flat): never dust, so it is not dropped unguarded.
    expect(isDust(0.00017, lot, 0)).toBe(false);
  });
});
