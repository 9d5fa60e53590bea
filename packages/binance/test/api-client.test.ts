import { createSilentLogger } from "@tradewire/logger";
import { type FakeBinanceRest, loadCandleFile, startFakeBinanceRest } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BinanceApiClient, binanceEndpoints } from "../src/api-client.js";
import { BinanceError } from "../src/errors.js";
import { WeightRateLimiter } from "../src/rate-limiter.js";

const FILE = "binance_spot_BTC_USDT-5m_2023-04-05_to_2023-05-05_freqtrade_NO_GAP.json";
const silent = createSilentLogger();
let fake: FakeBinanceRest;
beforeEach(async () => {
  fake = await startFakeBinanceRest({
    series: { "spot:BTCUSDT:5m": loadCandleFile(FILE, "5m") },
    exchange: { apiKey: "k", apiSecret: "s", price: () => "28000.5" },
  });
});
afterEach(() => fake.close());

function client(opts: { timeoutMs?: number; maxRetries?: number } = {}) {
  const limiter = new WeightRateLimiter({ limitPerMinute: 1200, share: 0.5, logger: silent });
  const endpoints = binanceEndpoints("testnet", {
    BINANCE_HTTP_BASE: fake.url,
    BINANCE_WS_BASE: "ws://127.0.0.1:1",
  });
  return {
    limiter,
    api: new BinanceApiClient({ endpoints, apiKey: "k", apiSecret: "s", limiter, logger: silent, ...opts }),
  };
}

describe("binance-api-node behind the factory, against the fake Binance", () => {
  it("resolves live and testnet endpoints, each overridable by its variable", () => {
    expect(binanceEndpoints("live", {})).toEqual({
      httpBase: "https://api.binance.com",
      httpFutures: "https://fapi.binance.com",
      wsBase: "wss://stream.binance.com:9443/ws",
      wsFutures: "wss://fstream.binance.com/ws",
    });
    expect(binanceEndpoints("testnet", { BINANCE_WS_BASE: "ws://127.0.0.1:9000" })).toMatchObject({
      httpBase: "https://testnet.binance.vision",
      wsBase: "ws://127.0.0.1:9000/ws",
    });
  });

  it("reads candles and time from the fake, taking each call's weight from the limiter", async () => {
    const { api, limiter } = client();
    const candles = await api.candles({
      symbol: "BTCUSDT",
      interval: "5m",
      limit: 3,
      startTime: 1680680400000,
    });
    expect(candles.map((c) => c.openTime)).toEqual([1680680400000, 1680680700000, 1680681000000]);
    expect(candles[0]).toMatchObject({ open: "28505.16", close: "28511" });
    expect(Math.abs((await api.time()) - Date.now())).toBeLessThan(5_000);
    expect(limiter.maxUsedInWindow).toBe(3);
  });

  it("bounds a slow call with a timeout instead of hanging (F04)", async () => {
    const { api } = client({ timeoutMs: 300, maxRetries: 0 });
    fake.fail({ kind: 200, delayMs: 2_000, path: "/api/v3/time" });
    const started = Date.now();
    await expect(api.time()).rejects.toMatchObject({ code: "TIMEOUT", retryable: true });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("retries an idempotent call after a 5xx, and maps rejections to the Binance code", async () => {
    const { api } = client();
    fake.fail({ kind: 503, path: "/api/v3/klines" });
    const rows = await api.candles({ symbol: "BTCUSDT", interval: "5m", limit: 2 });
    expect(rows).toHaveLength(2);
    expect(fake.requests.filter((r) => r.path === "/api/v3/klines").map((r) => r.status)).toEqual([503, 200]);
    const err = await api.candles({ symbol: "NOPEUSDT", interval: "5m", limit: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BinanceError);
    expect(err).toMatchObject({ code: "REJECTED", retryable: false, details: { binanceCode: -1121 } });
  });

  it("signs an order the fake accepts, with our client order id, and never retries it", async () => {
    const { api } = client();
    const order = await api.order({
      symbol: "BTCUSDT",
      side: "BUY",
      type: "MARKET",
      quantity: "0.001",
      newClientOrderId: "tw-test-1",
    });
    expect(order).toMatchObject({ clientOrderId: "tw-test-1", status: "FILLED" });
    expect(fake.exchange?.orders.map((o) => o.clientOrderId)).toEqual(["tw-test-1"]);
    const buy = (newClientOrderId: string) =>
      api.order({ symbol: "BTCUSDT", side: "BUY", type: "MARKET", quantity: "0.001", newClientOrderId });
    fake.fail({ kind: 503, path: "/api/v3/order", method: "POST" });
    await expect(buy("tw-test-2")).rejects.toMatchObject({ code: "SERVER" });
    expect(fake.requests.filter((r) => r.path === "/api/v3/order").length).toBe(2);
    // "Execution status unknown" (-1007, or USD-M's 408) after the order took effect: retryable,
    // so the caller looks the order up instead of taking it as refused; sent once all the same.
    for (const [kind, id] of [
      [400, "tw-test-3"],
      [408, "tw-test-4"],
    ] as const) {
      fake.fail({ kind, code: -1007, afterEffect: true, path: "/api/v3/order", method: "POST" });
      await expect(buy(id)).rejects.toMatchObject({ code: "SERVER", retryable: true });
      expect(fake.exchange?.orders.map((o) => o.clientOrderId)).toContain(id);
    }
    expect(fake.requests.filter((r) => r.path === "/api/v3/order").length).toBe(4);
  });
});
