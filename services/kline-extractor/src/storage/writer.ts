import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Pool, PoolClient } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { KlineRow, SeriesKey } from "./types.js";

/** Rows per COPY chunk written to the server. */
export const WRITE_BATCH_ROWS = 1000;

const COLUMNS = `market, symbol, "interval", open_time, close_time, open, high, low, close, volume,
  quote_volume, trades, taker_buy_base_volume, taker_buy_quote_volume`;

/** PostgreSQL's unique_violation: a concurrent writer stored some of the rows first. */
const UNIQUE_VIOLATION = "23505";

function* copyText(key: SeriesKey, rows: readonly KlineRow[]): Generator<string> {
  const prefix = `${key.market}\t${key.symbol}\t${key.interval}\t`;
  for (let i = 0; i < rows.length; i += WRITE_BATCH_ROWS) {
    let chunk = "";
    const end = Math.min(rows.length, i + WRITE_BATCH_ROWS);
    for (let j = i; j < end; j++) {
      const r = rows[j] as KlineRow;
      chunk += `${prefix}${r.openTime}\t${r.closeTime}\t${r.open}\t${r.high}\t${r.low}\t${r.close}\t${r.volume}\t${r.quoteVolume}\t${r.trades}\t${r.takerBuyBaseVolume}\t${r.takerBuyQuoteVolume}\n`;
    }
    yield chunk;
  }
}

/** COPYs rows into `table`; returns the number of rows copied. */
export async function copyRows(
  client: PoolClient,
  table: string,
  key: SeriesKey,
  rows: readonly KlineRow[],
): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${table} (${COLUMNS}) FROM STDIN`));
  await pipeline(Readable.from(copyText(key, rows)), stream);
  return stream.rowCount;
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === UNIQUE_VIOLATION;
}

/**
 * Writes candles idempotently and returns how many rows were really inserted (a re-run of a
 * stored range returns 0).
 *
 * Fast path: when nothing of the series is stored in the rows' time span, COPY straight into
 * `klines` (raw COPY speed). Otherwise — or when a concurrent writer wins the race and the COPY
 * hits a unique violation — COPY into a session temp table and `INSERT ... SELECT ... ON
 * CONFLICT DO NOTHING`, in one transaction.
 */
export async function writeKlines(pool: Pool, key: SeriesKey, rows: readonly KlineRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    if (r.openTime < lo) lo = r.openTime;
    if (r.openTime > hi) hi = r.openTime;
  }
  const client = await pool.connect();
  try {
    const stored = await client.query<{ any: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM klines WHERE market = $1 AND symbol = $2 AND "interval" = $3
                      AND open_time BETWEEN $4 AND $5) AS any`,
      [key.market, key.symbol, key.interval, lo, hi],
    );
    if (stored.rows[0]?.any === false && new Set(rows.map((r) => r.openTime)).size === rows.length) {
      await client.query("BEGIN");
      try {
        const n = await copyRows(client, "klines", key, rows);
        await client.query("COMMIT");
        return n;
      } catch (error) {
        await client.query("ROLLBACK");
        if (!isUniqueViolation(error)) throw error;
      }
    }
    return await mergeRows(client, key, rows);
  } finally {
    client.release();
  }
}

async function mergeRows(client: PoolClient, key: SeriesKey, rows: readonly KlineRow[]): Promise<number> {
  await client.query("BEGIN");
  try {
    await client.query(
      `CREATE TEMP TABLE IF NOT EXISTS klines_stage (LIKE klines INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`,
    );
    await copyRows(client, "klines_stage", key, rows);
    const result = await client.query(
      `INSERT INTO klines (${COLUMNS}) SELECT ${COLUMNS} FROM klines_stage
       ON CONFLICT (market, symbol, "interval", open_time) DO NOTHING`,
    );
    await client.query("COMMIT");
    return result.rowCount ?? 0;
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
}
