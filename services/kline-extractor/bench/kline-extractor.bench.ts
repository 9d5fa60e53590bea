// `pnpm --filter @tradewire/kline-extractor bench`: prints one JSON object
// { name, results: [{ metric, value, unit, baseline, ratio }] } to stdout. Baselines run in the same process.
import { parseConfig } from "@tradewire/config";
import { loadCandleFile, pgSchema, startFakeBinanceRest } from "@tradewire/testkit";
import type { Pool } from "pg";
import { createBinanceSource } from "../src/binance-source.js";
import { KlineExtractorConfig } from "../src/config.js";
import { NatsEventSink } from "../src/events.js";
import { Extractor } from "../src/extractor.js";
import type { KlineSource } from "../src/source.js";
import { migrate, writeKlines } from "../src/storage/index.js";
import { copyRows } from "../src/storage/writer.js";
import { loadCandleRows } from "../test/candles.js";
import { RowsSource, silent } from "../test/helpers.js";

interface Result {
  metric: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
}

const rows = loadCandleRows();
const key = { market: "spot" as const, symbol: "BTCUSDT", interval: "1m" as const };
const BUFFER = 10_000;
const RUNS = 3;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** The service's write path: batches of WRITE_BUFFER_ROWS through writeKlines. */
async function servicePath(pool: Pool): Promise<number> {
  await pool.query("TRUNCATE klines");
  return timed(async () => {
    for (let i = 0; i < rows.length; i += BUFFER) await writeKlines(pool, key, rows.slice(i, i + BUFFER));
  });
}

/** Re-writing rows that are all stored: the idempotent merge path. */
async function mergePath(pool: Pool): Promise<number> {
  return timed(async () => {
    for (let i = 0; i < rows.length; i += BUFFER) await writeKlines(pool, key, rows.slice(i, i + BUFFER));
  });
}

/** Baseline: one raw COPY of the same rows into the same (empty) table. */
async function rawCopy(pool: Pool): Promise<number> {
  await pool.query("TRUNCATE klines");
  const client = await pool.connect();
  try {
    return await timed(() => copyRows(client, "klines", key, rows));
  } finally {
    client.release();
  }
}

async function endToEnd(
  pool: Pool,
  source: KlineSource = new RowsSource({ BTCUSDT: rows }),
  symbols = ["BTCUSDT"],
) {
  await pool.query("TRUNCATE klines");
  const x = new Extractor({
    pool,
    source,
    events: new NatsEventSink(undefined, "binance.extraction", silent, false),
    log: silent,
  });
  return timed(() =>
    x.run({
      mode: "backfill",
      market: "spot",
      interval: "1m",
      symbols,
      start: Date.parse("2023-03-16T00:00:00Z"),
      end: Date.parse("2023-05-02T00:00:00Z"),
      concurrency: symbols.length,
      dryRun: false,
    }),
  );
}

const FILE = "binance_spot_BTC_USDT-1m_2023-03-16_to_2023-05-01_freqtrade_WITH_GAP.json";
const FETCH_SYMBOLS = ["BTCUSDT", "S1USDT", "S2USDT", "S3USDT", "S4USDT"];

/**
 * The real source against the fake Binance serving the real 1m file under five symbols: 335
 * requests of weight 2 = 670 > the 600 budget (1200 × share 0.5), so the run must span a minute
 * window and the limiter must hold it back. Then the same with the limit lifted.
 */
async function fetchRuns(pool: Pool) {
  const series = loadCandleFile(FILE, "1m");
  const run = async (weightLimit: number) => {
    const fake = await startFakeBinanceRest({
      series: Object.fromEntries(FETCH_SYMBOLS.map((s) => [`spot:${s}:1m`, series])),
      weightLimit,
    });
    try {
      const cfg = parseConfig("bench", KlineExtractorConfig, {
        DATABASE_URL: "postgres://unused",
        BINANCE_HTTP_BASE: fake.url,
        BINANCE_WEIGHT_LIMIT: String(weightLimit),
      });
      const ms = await endToEnd(pool, createBinanceSource(cfg, silent), FETCH_SYMBOLS);
      return {
        ms,
        maxWeight: fake.maxWeightInMinute(),
        rejected: fake.requests.filter((r) => r.status === 429 || r.status === 418).length,
        budget: Math.floor(weightLimit * cfg.BINANCE_RATE_LIMIT_SHARE),
      };
    } finally {
      await fake.close();
    }
  };
  return { limited: await run(1200), lifted: await run(1_000_000) };
}

const rate = (ms: number) => Math.round(rows.length / (ms / 1000));
const best = async (fn: () => Promise<number>) => {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < RUNS; i++) min = Math.min(min, await fn());
  return min;
};

const db = await pgSchema("kxbench");
try {
  await migrate(db.pool);
  await rawCopy(db.pool); // warm-up
  const copyMs = await best(() => rawCopy(db.pool));
  const serviceMs = await best(() => servicePath(db.pool));
  const mergeMs = await best(() => mergePath(db.pool));
  const e2eMs = await best(() => endToEnd(db.pool));
  const copyRate = rate(copyMs);
  const fetch = await fetchRuns(db.pool);
  const fetchedRate = (ms: number) => Math.round((rows.length * FETCH_SYMBOLS.length) / (ms / 1000));
  const results: Result[] = [
    {
      metric: "store candles/s (service write path vs raw COPY)",
      value: rate(serviceMs),
      unit: "candles/s",
      baseline: copyRate,
      ratio: round(rate(serviceMs) / copyRate),
    },
    {
      metric: "re-store candles/s (all duplicates, idempotent merge) vs raw COPY",
      value: rate(mergeMs),
      unit: "candles/s",
      baseline: copyRate,
      ratio: round(rate(mergeMs) / copyRate),
    },
    {
      metric: "backfill candles/s end to end (in-memory source, no rate limit) vs raw COPY",
      value: rate(e2eMs),
      unit: "candles/s",
      baseline: copyRate,
      ratio: round(rate(e2eMs) / copyRate),
    },
    {
      metric: `fake Binance at 1200 weight/min: peak weight used in a minute (budget ${fetch.limited.budget}; 429/418 seen: ${fetch.limited.rejected})`,
      value: fetch.limited.maxWeight,
      unit: "weight/min",
      baseline: fetch.limited.budget,
      ratio: round(fetch.limited.maxWeight / fetch.limited.budget),
    },
    {
      metric: "backfill candles/s from the fake Binance, limit lifted, vs in-memory source",
      value: fetchedRate(fetch.lifted.ms),
      unit: "candles/s",
      baseline: rate(e2eMs),
      ratio: round(fetchedRate(fetch.lifted.ms) / rate(e2eMs)),
    },
  ];
  if (fetch.limited.rejected > 0 || fetch.limited.maxWeight > fetch.limited.budget) {
    throw new Error(`rate limiter breached its budget: ${JSON.stringify(fetch.limited)}`);
  }
  process.stdout.write(`${JSON.stringify({ name: "kline-extractor", results })}\n`);
} finally {
  await db.cleanup();
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
