import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sharedDataDir } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { toDecimal } from "./decimal.js";
import { applyOrderFilters, parseExchangeFilters, requestWeightPerMinute } from "./exchange-filters.js";

const info = (file: string): unknown =>
  JSON.parse(readFileSync(join(sharedDataDir(), "binance/binance-payloads/exchangeInfo", file), "utf8"));
const SPOT_2024 = info("spot_exchangeInfo_2024-09-08_BTCUSDT_ETHUSDT_trimmed.json");
const SPOT_2022 = info("spot_exchangeInfo_2022-11-28_BTCUSDT_ETHUSDT_trimmed_MIN_NOTIONAL_era.json");
const FUTURES = info("futures_fapi_exchangeInfo_2022-05-04_BTCUSDT_ETHUSDT_trimmed.json");

describe("exchange filters from the real exchangeInfo files", () => {
  it("reads PRICE_FILTER, LOT_SIZE and the NOTIONAL filter of the 2024 spot era", () => {
    const btc = parseExchangeFilters(SPOT_2024).get("BTCUSDT");
    expect(btc).toMatchObject({
      status: "TRADING",
      quoteAsset: "USDT",
      tickSize: "0.01000000",
      stepSize: "0.00001000",
      minQty: "0.00001000",
      minNotional: "5.00000000",
    });
    // MARKET_LOT_SIZE with step 0 does not apply: LOT_SIZE governs market orders too.
    expect(btc?.marketStepSize).toBeUndefined();
  });

  it("reads MIN_NOTIONAL.minNotional on 2022 spot and MIN_NOTIONAL.notional on futures", () => {
    expect(parseExchangeFilters(SPOT_2022).get("BTCUSDT")?.minNotional).toBe("10.00000000");
    const fut = parseExchangeFilters(FUTURES).get("BTCUSDT");
    expect(fut).toMatchObject({
      tickSize: "0.10",
      stepSize: "0.001",
      minNotional: "5",
      marketStepSize: "0.001",
      marketMaxQty: "120",
    });
  });

  it("reads the 2022 spot ETHBTC rules and MARKET_LOT_SIZE maxQty even when its step is 0", () => {
    expect(parseExchangeFilters(SPOT_2022, "spot").get("ETHBTC")).toMatchObject({
      baseAsset: "ETH",
      quoteAsset: "BTC",
      tickSize: "0.00000100",
      stepSize: "0.00010000",
      minNotional: "0.00010000",
      marketMaxQty: "1887.79867076",
    });
    const btc = parseExchangeFilters(SPOT_2024, "spot").get("BTCUSDT");
    expect(btc).toMatchObject({ maxQty: "9000.00000000", marketMaxQty: "129.84957276" });
    expect(btc?.marketStepSize).toBeUndefined();
  });

  it("with the market given, reads only that market's notional key", () => {
    expect(parseExchangeFilters(FUTURES, "futures").get("ETHUSDT")?.minNotional).toBe("5");
    expect(() => parseExchangeFilters(FUTURES, "spot")).toThrow(
      "exchangeInfo BTCUSDT MIN_NOTIONAL.minNotional: expected a decimal string, got undefined",
    );
    expect(() => parseExchangeFilters(SPOT_2024, "futures")).toThrow(
      "exchangeInfo ETHBTC NOTIONAL.notional: expected a decimal string, got undefined",
    );
  });

  it("takes the request-weight limit from rateLimits", () => {
    expect(requestWeightPerMinute(SPOT_2022)).toBe(1200);
    expect(requestWeightPerMinute(SPOT_2024)).toBe(6000);
    expect(requestWeightPerMinute(FUTURES)).toBe(2400);
  });

  it("names the symbol, filter and field of a malformed file", () => {
    const broken = structuredClone(SPOT_2024) as { symbols: { filters: Record<string, unknown>[] }[] };
    const lot = broken.symbols[1]?.filters.find((f) => f.filterType === "LOT_SIZE");
    if (lot) lot.stepSize = 0.00001;
    expect(() => parseExchangeFilters(broken)).toThrow(
      /exchangeInfo BTCUSDT LOT_SIZE.stepSize: expected a decimal string, got 0.00001/,
    );
    expect(() => parseExchangeFilters({ symbols: "none" })).toThrow(/exchangeInfo: symbols/);
  });
});

describe("applyOrderFilters", () => {
  const btc = parseExchangeFilters(SPOT_2024).get("BTCUSDT");
  const fut = parseExchangeFilters(FUTURES).get("BTCUSDT");
  if (!btc || !fut) throw new Error("fixtures");

  it("F24 rounds the quantity down to the step, exactly, never to nearest", () => {
    expect(applyOrderFilters(btc, { type: "MARKET", quantity: "0.001239999", price: "60000" })).toEqual({
      ok: true,
      quantity: "0.00123",
      price: "60000",
      notional: "73.8",
    });
    // 0.1 + 0.2 in floating point is 0.30000000000000004: the order says 0.3.
    const r = applyOrderFilters(fut, { type: "MARKET", quantity: toDecimal(0.1 + 0.2), price: "30000" });
    expect(r).toMatchObject({ ok: true, quantity: "0.3", notional: "9000" });
  });

  it("F24 rejects below MIN_NOTIONAL after rounding instead of rounding up", () => {
    const r = applyOrderFilters(btc, { type: "MARKET", quantity: "0.0000833", price: "60000" });
    expect(r).toEqual({
      ok: false,
      filter: "MIN_NOTIONAL",
      field: "notional",
      value: "4.8",
      reason:
        "below_min_notional: 0.00008 x 60000 = 4.8 < 5 after rounding quantity 0.0000833 down to 0.00008",
    });
  });

  it("rejects a quantity that rounds to nothing, or above maxQty (MARKET_LOT_SIZE for market orders)", () => {
    expect(applyOrderFilters(btc, { type: "MARKET", quantity: "0.000009", price: "60000" })).toMatchObject({
      ok: false,
      filter: "LOT_SIZE",
      field: "quantity",
      value: "0.000009",
      reason: expect.stringContaining("below_min_qty"),
    });
    expect(applyOrderFilters(fut, { type: "MARKET", quantity: "121", price: "30000" })).toMatchObject({
      ok: false,
      reason: "above_max_qty: 121 > maxQty 120",
    });
    expect(applyOrderFilters(fut, { type: "LIMIT", quantity: "121", price: "30000" })).toMatchObject({
      ok: true,
    });
  });

  it("refuses a spot market order above MARKET_LOT_SIZE maxQty that LOT_SIZE would allow", () => {
    expect(applyOrderFilters(btc, { type: "MARKET", quantity: "130", price: "60000" })).toMatchObject({
      ok: false,
      filter: "LOT_SIZE",
      field: "quantity",
      value: "130",
      reason: "above_max_qty: 130 > maxQty 129.84957276",
    });
    expect(applyOrderFilters(btc, { type: "LIMIT", quantity: "130", price: "60000.005" })).toEqual({
      ok: true,
      quantity: "130",
      price: "60000.01",
      notional: "7800001.3",
    });
  });

  it("refuses a LIMIT outside its PERCENT_PRICE band around the reference price, per side, as the exchange would", () => {
    const spot = parseExchangeFilters(SPOT_2024).get("BTCUSDT");
    const old = parseExchangeFilters(SPOT_2022).get("BTCUSDT");
    const fut = parseExchangeFilters(FUTURES).get("BTCUSDT");
    if (!spot || !old || !fut) throw new Error("fixture");
    expect(spot.percentPrice).toEqual({
      BUY: { up: "5", down: "0.2" },
      SELL: { up: "5", down: "0.2" },
    });
    expect(old.percentPrice?.SELL).toEqual({ up: "5", down: "0.2" });
    expect(fut.percentPrice).toEqual({ BUY: { up: "1.0500" }, SELL: { down: "0.9500" } });
    const limit = (f: typeof spot, side: "BUY" | "SELL", price: string, reference?: string) =>
      applyOrderFilters(f, {
        type: "LIMIT",
        quantity: "0.01",
        price,
        side,
        ...(reference ? { reference } : {}),
      });
    // Spot: a SELL at 3,000 with the market at 30,000 is under 0.2 × of it.
    expect(limit(spot, "SELL", "3000", "30000")).toMatchObject({
      ok: false,
      filter: "PERCENT_PRICE",
      field: "price",
      reason: "price_too_far_from_market: 3000 is outside 6000.00 to 150000.00 (0.2 to 5 × 30000) for a SELL",
    });
    expect(limit(spot, "SELL", "6000", "30000")).toMatchObject({ ok: true });
    // A reference that is no number is refused by name, never a band silently skipped.
    expect(() => limit(spot, "SELL", "6000", "abc")).toThrow(/reference/);
    // Futures bands the mark one way: a BUY 6% above it is out, 4% in, and one far below may rest.
    expect(limit(fut, "BUY", "31800", "30000")).toMatchObject({ ok: false, filter: "PERCENT_PRICE" });
    expect(limit(fut, "BUY", "31200", "30000")).toMatchObject({ ok: true });
    expect(limit(fut, "BUY", "20000", "30000")).toMatchObject({ ok: true });
    expect(limit(fut, "SELL", "28200", "30000")).toMatchObject({ ok: false, filter: "PERCENT_PRICE" });
    expect(limit(fut, "SELL", "40000", "30000")).toMatchObject({ ok: true });
    // Without a reference (or for a MARKET order) the band is not checked.
    expect(limit(spot, "SELL", "3000")).toMatchObject({ ok: true });
  });

  it("rounds a limit price to the tick within the limit asked: a BUY never pays above it, a SELL never sells below it", () => {
    const limit = (side: "BUY" | "SELL", price: string) =>
      applyOrderFilters(btc, { type: "LIMIT", quantity: "0.01", price, side });
    expect(limit("BUY", "25000.006")).toMatchObject({ ok: true, price: "25000" });
    expect(limit("SELL", "25000.004")).toMatchObject({ ok: true, price: "25000.01" });
    // On a tick already: unchanged either way.
    expect(limit("BUY", "25000.01")).toMatchObject({ price: "25000.01" });
    expect(limit("SELL", "25000.01")).toMatchObject({ price: "25000.01" });
  });

  it("names a malformed filter value and the symbol when a field is missing", () => {
    const broken = structuredClone(FUTURES) as { symbols: { filters: Record<string, unknown>[] }[] };
    const price = broken.symbols[0]?.filters.find((f) => f.filterType === "PRICE_FILTER");
    if (price) price.tickSize = "1e-1";
    expect(() => parseExchangeFilters(broken, "futures")).toThrow(
      'exchangeInfo BTCUSDT PRICE_FILTER.tickSize: expected a plain decimal string, got "1e-1"',
    );
    if (broken.symbols[0]) broken.symbols[0].filters = [];
    expect(() => parseExchangeFilters(broken)).toThrow("exchangeInfo BTCUSDT: no PRICE_FILTER filter");
  });

  it("rounds a limit price to the tick and refuses one outside the price range", () => {
    expect(applyOrderFilters(fut, { type: "LIMIT", quantity: "0.01", price: "30000.06" })).toMatchObject({
      ok: true,
      price: "30000.1",
    });
    expect(applyOrderFilters(fut, { type: "LIMIT", quantity: "1", price: "100" })).toMatchObject({
      ok: false,
      filter: "PRICE_FILTER",
    });
    expect(() => applyOrderFilters(btc, { type: "MARKET", quantity: "1e-3", price: "1" })).toThrow(
      'quantity: expected a plain decimal string, got "1e-3"',
    );
  });
});
