import { createSilentLogger } from "@tradewire/logger";
import { type FakeBinanceRest, loadCandleFile, startFakeBinanceRest } from "@tradewire/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BinanceError } from "../src/errors.js";
import { type BinanceKline, klinePages } from "../src/klines.js";
import { WeightRateLimiter } from "../src/rate-limiter.js";
import { BinanceRest } from "../src/rest.js";

const FILE = "binance_spot_BTC_USDT-1m_2023-03-16_to_2023-05-01_freqtrade_WITH_GAP.json";
const rows = loadCandleFile(FILE, "1m");
let fake: FakeBinanceRest;
beforeAll(async () => {
  fake = await startFakeBinanceRest({ series: { "spot:BTCUSDT:1m": rows } });
});
afterAll(async () => {
  await fake.close();
});

const rest = (over: Partial<ConstructorParameters<typeof BinanceRest>[0]> = {}) =>
  new BinanceRest({
    baseUrl: fake.url,
    limiter: new WeightRateLimiter({ limitPerMinute: 1_000_000, share: 1, logger: createSilentLogger() }),
    logger: createSilentLogger(),
    timeoutMs: 2_000,
    maxRetries: 3,
    ...over,
  });

describe("BinanceRest against the fake Binance", () => {
  it("pages a whole range in ascending order, the real trading halt staying a gap", async () => {
    const start = Date.UTC(2023, 2, 24, 12, 0);
    const end = Date.UTC(2023, 2, 24, 14, 59);
    const got: BinanceKline[] = [];
    for await (const page of klinePages(rest(), {
      market: "spot",
      symbol: "BTCUSDT",
      interval: "1m",
      startTime: start,
      endTime: end,
      limit: 50,
    }))
      got.push(...page);
    expect(got).toHaveLength(180 - 80);
    expect(got.every((k, i) => i === 0 || k.openTime > (got[i - 1]?.openTime ?? 0))).toBe(true);
    expect(got.find((k) => k.openTime === Date.UTC(2023, 2, 24, 13, 0))).toBeUndefined();
  });

  it("F38 a stop between pages throws its reason: the pages do not end as if the exchange had no more", async () => {
    const stop = new AbortController();
    const got: BinanceKline[] = [];
    const paging = (async () => {
      for await (const page of klinePages(rest(), {
        market: "spot",
        symbol: "BTCUSDT",
        interval: "1m",
        startTime: Date.UTC(2023, 2, 20, 0, 0),
        endTime: Date.UTC(2023, 2, 20, 3, 59),
        limit: 60,
        signal: stop.signal,
      })) {
        got.push(...page);
        stop.abort(new Error("interrupted"));
      }
    })();
    await expect(paging).rejects.toThrow("interrupted");
    expect(got).toHaveLength(60);
  });

  it("retries a 5xx and a dropped connection, then succeeds", async () => {
    fake.fail({ kind: 503 }, { kind: "drop" });
    const before = fake.requests.length;
    const body = await rest().get<{ serverTime: number }>("/api/v3/time");
    expect(body.serverTime).toBeGreaterThan(0);
    expect(fake.requests.slice(before).map((r) => r.status)).toEqual([503, 0, 200]);
  });

  it("times out a slow response and retries it", async () => {
    fake.fail({ kind: 200, delayMs: 1_500 });
    const client = rest({ timeoutMs: 300 });
    const started = Date.now();
    await client.get("/api/v3/time");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("honours Retry-After on 429", async () => {
    fake.fail({ kind: 429, retryAfterS: 1 });
    const started = Date.now();
    await rest().get("/api/v3/time");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("F43 on 418 stops every call until the ban ends, without retrying into the ban", async () => {
    fake.fail({ kind: 418, retryAfterS: 2 });
    const client = rest();
    await expect(client.get("/api/v3/time")).rejects.toMatchObject({ code: "IP_BANNED", retryable: false });
    const started = Date.now();
    await client.get("/api/v3/time");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_800);
  });

  it("maps a rejection to its Binance code and meaning, without retrying", async () => {
    const err = await rest()
      .get("/api/v3/klines", { symbol: "NOPEUSDT", interval: "1m" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BinanceError);
    expect(err).toMatchObject({ code: "REJECTED", details: { binanceCode: -1121, status: 400 } });
    expect((err as Error).message).toContain("-1121 Invalid symbol. (invalid symbol)");
  });
});
