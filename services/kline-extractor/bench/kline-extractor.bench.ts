// `pnpm --filter @tradewire/kline-extractor bench`: prints one JSON object
// { name, results: [{ metric, value, unit, baseline, ratio }] } to stdout. Baselines run in the same process.
import { pgSchema } from "@tradewire/testkit";
import type { Pool } from "pg";
import { NatsEventSink } from "../src/events.js";
import { Extractor } from "../src/extractor.js";
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

async function endToEnd(pool: Pool): Promise<number> {
  await pool.query("TRUNCATE klines");
  const x = new Extractor({
    pool,
    source: new RowsSource({ BTCUSDT: rows }),
    events: new NatsEventSink(undefined, "binance.extraction", silent, false),
    log: silent,
  });
  return timed(() =>
    x.run({
      mode: "backfill",
      market: "spot",
      interval: "1m",
      symbols: ["BTCUSDT"],
      start: Date.parse("2023-03-16T00:00:00Z"),
      end: Date.parse("2023-05-02T00:00:00Z"),
      concurrency: 1,
      dryRun: false,
    }),
  );
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
  ];
  process.stdout.write(`${JSON.stringify({ name: "kline-extractor", results })}\n`);
} finally {
  await db.cleanup();
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
