import { PassThrough } from "node:stream";
import { connect } from "@nats-io/transport-node";
import { captureLogger } from "@tradewire/logger";
import { BatchExtractionCompleted, ExtractionCompleted } from "@tradewire/schemas";
import {
  type FakeBinanceRest,
  type KlineRow12,
  loadCandleFile,
  natsNamespace,
  PrivateRedisServer,
  pgSchema,
  REDIS_URL,
  startFakeBinanceRest,
  uniqueName,
  waitFor,
} from "@tradewire/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBinanceSource } from "../src/binance-source.js";
import { runCli } from "../src/run-cli.js";
import { countStored } from "../src/storage/index.js";

// The "done when" of the extractor: the real 1m BTCUSDT file (66,087 candles with the real
// 80-minute halt) served by the fake Binance through the production source (rate limiter, retries).
const FILE = "binance_spot_BTC_USDT-1m_2023-03-16_to_2023-05-01_freqtrade_WITH_GAP.json";
let fake: FakeBinanceRest;
let db: Awaited<ReturnType<typeof pgSchema>>;
let ns: Awaited<ReturnType<typeof natsNamespace>>;
const budgetKey = `kx:${uniqueName("budget")}`;
beforeAll(async () => {
  fake = await startFakeBinanceRest({ series: { "spot:BTCUSDT:1m": loadCandleFile(FILE, "1m") } });
  db = await pgSchema("kxfake");
  ns = await natsNamespace("kxfake");
});
afterAll(async () => {
  await fake.close();
  await db.cleanup();
  await ns.cleanup();
});

function io() {
  const stderr = new PassThrough();
  let err = "";
  stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const cap = captureLogger("kline-extractor");
  return {
    cap,
    err: () => err,
    io: {
      env: {
        DATABASE_URL: db.url,
        NATS_URL: ns.url,
        TRADEWIRE_NAMESPACE: ns.namespace,
        BINANCE_HTTP_BASE: fake.url,
        BINANCE_WEIGHT_LIMIT: "1200",
        // The per-IP budget shared through Redis, as CronJobs on one node would share it (F43).
        BINANCE_SHARED_BUDGET_REDIS_URL: REDIS_URL,
        BINANCE_SHARED_BUDGET_KEY: budgetKey,
      },
      stdout: new PassThrough(),
      stderr,
      logger: cap.logger,
      makeSource: createBinanceSource,
    },
  };
}

const range = ["--interval", "1m", "--start", "2023-03-16", "--end", "2023-05-02"];

describe("kline-extractor against the fake Binance", () => {
  it("backfills every candle once, gap-fill reports the real halt unfillable, a re-run writes nothing, events carry the counts", async () => {
    const nc = await connect({ servers: ns.url });
    const events: unknown[] = [];
    const sub = nc.subscribe(`${ns.namespace}.binance.extraction.>`, {
      callback: (_e, m) => void events.push(m.json()),
    });
    await nc.flush();

    const first = io();
    expect((await runCli(["backfill", "--symbols", "BTCUSDT,NOPEUSDT", ...range], first.io)).exitCode).toBe(
      1,
    );
    expect(await countStored(db.pool, { market: "spot", symbol: "BTCUSDT", interval: "1m" })).toBe(66_087);
    expect(first.err()).toContain(
      "error NOPEUSDT: REJECTED: GET /api/v3/klines rejected: -1121 Invalid symbol.",
    );
    // The exchange's own limit (6000 in the served exchangeInfo) never lifts the configured 1200.
    expect(first.cap.find("binance weight limit from exchangeInfo")[0]).toMatchObject({
      exchangeLimit: 6000,
      configured: 1200,
      effective: 1200,
    });
    // F43: the whole backfill stayed within its share of a 1200/min weight limit, with no 429.
    expect(fake.maxWeightInMinute()).toBeLessThanOrEqual(600);
    expect(fake.requests.filter((r) => r.status === 429 || r.status === 418)).toEqual([]);

    const gap = io();
    expect((await runCli(["gap-fill", "--symbols", "BTCUSDT", "--interval", "1m"], gap.io)).exitCode).toBe(0);
    const again = io();
    await runCli(["backfill", "--symbols", "BTCUSDT", ...range], again.io);
    expect(again.cap.find("extraction run complete")[0]).toMatchObject({ written: 0 });

    await waitFor("all events", () => events.length >= 5);
    const singles = events
      .map((e) => ExtractionCompleted.safeParse(e))
      .filter((r) => r.success)
      .map((r) => r.data);
    const batches = events
      .map((e) => BatchExtractionCompleted.safeParse(e))
      .filter((r) => r.success)
      .map((r) => r.data);
    const btcBackfill = singles.find((e) => e.symbol === "BTCUSDT" && e.extraction_type === "klines");
    expect(btcBackfill).toMatchObject({
      success: true,
      metrics: { records_fetched: 66_087, records_written: 66_087 },
    });
    expect(singles.find((e) => e.symbol === "NOPEUSDT")).toMatchObject({
      success: false,
      errors: [expect.stringContaining("-1121")],
    });
    const gapEvent = singles.find((e) => e.extraction_type === "klines_gap_filling");
    expect(gapEvent).toMatchObject({ success: true, metrics: { gaps_found: 80, gaps_filled: 0 } });
    expect(batches[0]).toMatchObject({
      event_type: "batch_extraction_completed",
      symbols: ["BTCUSDT", "NOPEUSDT"],
      success: false,
    });
    sub.unsubscribe();
    await nc.close();
  }, 120_000);

  it("F38 a stop while the first call's exchangeInfo is still unanswered ends the run at once, not when it answers", async () => {
    // exchangeInfo (the weight limit's calibration) answers in 5 s, as during a ban's wait.
    fake.fail({ kind: "slow", delayMs: 5_000, path: "/api/v3/exchangeInfo" });
    const stop = new AbortController();
    const run = io();
    const env = { ...run.io.env, BINANCE_TIMEOUT_MS: "8000", BINANCE_SHARED_BUDGET_REDIS_URL: "" };
    const started = Date.now();
    setTimeout(() => stop.abort(new Error("interrupted")), 300);
    const result = await runCli(["backfill", "--symbols", "BTCUSDT", ...range], {
      ...run.io,
      env,
      signal: stop.signal,
    });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.exitCode).toBe(1);
    expect(result.report?.symbols[0]).toMatchObject({ success: false, errors: ["interrupted"] });
  });

  it("F43 a shared weight budget whose Redis hangs fails the calls within seconds, naming it, instead of holding them for ever", async () => {
    const redis = await PrivateRedisServer.start();
    try {
      redis.pause();
      const run = io();
      run.io.env = { ...run.io.env, BINANCE_SHARED_BUDGET_REDIS_URL: redis.url };
      const started = Date.now();
      const klinesBefore = fake.requests.filter((r) => r.path === "/api/v3/klines").length;
      const result = await runCli(["backfill", "--symbols", "BTCUSDT", ...range], run.io);
      expect(result.exitCode).toBe(1);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(run.err()).toContain(
        `error BTCUSDT: the weight budget shared through Redis (key ${budgetKey}) could not be reserved, so the call is not sent: Command timed out`,
      );
      // Nothing reached Binance uncounted.
      expect(fake.requests.filter((r) => r.path === "/api/v3/klines")).toHaveLength(klinesBefore);
    } finally {
      redis.resume();
      await redis.dispose();
    }
  }, 60_000);
});

describe("kline-extractor on a host whose clock runs ahead of Binance's", () => {
  it("F42 never stores a candle still forming on Binance's clock, and says the difference at warn", async () => {
    const minute = 60_000;
    const first = Math.floor(Date.now() / minute) * minute - 30 * minute;
    // 1m candles from 30 minutes ago to 2 minutes ahead, every one served, as Binance serves the forming one.
    const rows = Array.from({ length: 33 }, (_, i): KlineRow12 => {
      const open = first + i * minute;
      return [open, "100", "101", "99", "100.5", "1", open + minute - 1, "100.5", 1, "0.5", "50", "0"];
    });
    const ahead = await startFakeBinanceRest({ series: { "spot:BTCUSDT:1m": rows }, serveForming: true });
    // This host 90 s ahead: at least one candle it takes for closed is still forming on Binance.
    ahead.setClockOffset(-90_000);
    try {
      const run = io();
      run.io.env = { ...run.io.env, BINANCE_HTTP_BASE: ahead.url, BINANCE_SHARED_BUDGET_REDIS_URL: "" };
      const result = await runCli(
        ["backfill", "--symbols", "BTCUSDT", "--interval", "1m", "--start", new Date(first).toISOString()],
        run.io,
      );
      expect(result.exitCode).toBe(0);
      // An upper bound of Binance's clock while the run stored its candles.
      const binanceNow = Date.now() - 90_000;
      const { rows: stored } = await db.pool.query<{ last: string }>(
        "SELECT max(open_time)::text AS last FROM klines WHERE symbol = 'BTCUSDT' AND open_time >= $1",
        [first],
      );
      expect(Number(stored[0]?.last) + minute - 1).toBeLessThan(binanceNow);
      expect(
        run.cap.find(
          "this host's clock differs from Binance's: candles are judged closed on Binance's clock",
        )[0],
      ).toMatchObject({ level: "warn", market: "spot", offsetMs: expect.any(Number) });
      const said = run.cap.find(
        "this host's clock differs from Binance's: candles are judged closed on Binance's clock",
      )[0];
      expect(Math.abs(Number(said?.offsetMs) + 90_000)).toBeLessThan(1_000);
    } finally {
      await ahead.close();
    }
  });
});
