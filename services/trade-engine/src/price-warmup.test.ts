import { captureLogger } from "@tradewire/logger";
import { bookTicker } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { waitForPrices } from "./price-warmup.js";
import { PriceBook } from "./prices.js";

const quote = (prices: PriceBook, symbol: string) =>
  prices.update(bookTicker(symbol, "100.00", "100.01"), Date.now());
const later = (ms: number, f: () => void) => setTimeout(f, ms);

describe("F40 price warm-up: nothing is decided before the feed has quoted", () => {
  it("with a whitelist, waits for every whitelisted symbol, then says so at info", async () => {
    const prices = new PriceBook(() => {});
    const cap = captureLogger();
    later(30, () => quote(prices, "BTCUSDT"));
    later(80, () => quote(prices, "ETHUSDT"));
    const warm = await waitForPrices(prices, {
      symbols: ["BTCUSDT", "ETHUSDT"],
      timeoutMs: 5_000,
      log: cap.logger,
    });
    expect(warm.missing).toEqual([]);
    expect(warm.quoted.sort()).toEqual(["BTCUSDT", "ETHUSDT"]);
    // Not before the second symbol's first quote, and not the whole timeout either.
    expect(warm.waitedMs).toBeGreaterThanOrEqual(70);
    expect(warm.waitedMs).toBeLessThan(2_000);
    expect(cap.find("price feed warm: deciding signals")[0]).toMatchObject({ level: "info", quoted: 2 });
  });

  it("without a whitelist, waits for the first quote and for the feed's symbols to settle", async () => {
    const prices = new PriceBook(() => {});
    const cap = captureLogger();
    later(20, () => quote(prices, "BTCUSDT"));
    later(120, () => quote(prices, "ETHUSDT"));
    const warm = await waitForPrices(prices, { symbols: [], timeoutMs: 5_000, log: cap.logger });
    // ETHUSDT came 100 ms after the first quote, inside the settle window: it is waited for.
    expect(warm.quoted.sort()).toEqual(["BTCUSDT", "ETHUSDT"]);
    expect(warm.waitedMs).toBeLessThan(2_000);
  });

  it("gives up after its timeout and names the symbols still without a quote, at warn", async () => {
    const prices = new PriceBook(() => {});
    const cap = captureLogger();
    quote(prices, "BTCUSDT");
    const warm = await waitForPrices(prices, {
      symbols: ["BTCUSDT", "SOLUSDT"],
      timeoutMs: 150,
      log: cap.logger,
    });
    expect(warm.missing).toEqual(["SOLUSDT"]);
    expect(warm.waitedMs).toBeGreaterThanOrEqual(140);
    expect(
      cap.find(
        "price feed not warm: deciding anyway; orders without a quote are rejected no_recent_price",
      )[0],
    ).toMatchObject({ level: "warn", missing: ["SOLUSDT"], timeoutMs: 150 });
  });

  it("PRICE_WARMUP_MS=0 does not wait", async () => {
    const cap = captureLogger();
    const warm = await waitForPrices(new PriceBook(() => {}), {
      symbols: ["BTCUSDT"],
      timeoutMs: 0,
      log: cap.logger,
    });
    expect(warm.waitedMs).toBe(0);
    expect(cap.find("price warm-up off (PRICE_WARMUP_MS=0): deciding signals at once")).toHaveLength(1);
  });

  it("a stop during the wait ends it at once, said at info, not as a feed that is not warm", async () => {
    const cap = captureLogger();
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    const warm = await waitForPrices(new PriceBook(() => {}), {
      symbols: ["BTCUSDT"],
      timeoutMs: 5_000,
      log: cap.logger,
      signal: stop.signal,
    });
    expect(warm.waitedMs).toBeLessThan(1_000);
    expect(cap.find("price warm-up ended: stopping")).toHaveLength(1);
    expect(cap.lines().filter((l) => l.level === "warn")).toEqual([]);
  });
});
