import type { Pool } from "pg";

/**
 * The table's DDL, in order. Names are unqualified, so everything lands in the first schema of
 * the connection's `search_path` (tests use a private schema; production `public`).
 * Times are `bigint` epoch milliseconds, exactly as Binance sends them (no time-zone conversion,
 * cheap range arithmetic for gap detection); prices and volumes are exact `numeric`.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: "create klines",
    sql: `
CREATE TABLE IF NOT EXISTS klines (
  market                 text        NOT NULL CHECK (market IN ('spot', 'futures')),
  symbol                 text        NOT NULL,
  "interval"             text        NOT NULL,
  open_time              bigint      NOT NULL,
  close_time             bigint      NOT NULL,
  open                   numeric     NOT NULL,
  high                   numeric     NOT NULL,
  low                    numeric     NOT NULL,
  close                  numeric     NOT NULL,
  volume                 numeric     NOT NULL,
  quote_volume           numeric     NOT NULL,
  trades                 bigint      NOT NULL,
  taker_buy_base_volume  numeric     NOT NULL,
  taker_buy_quote_volume numeric     NOT NULL,
  ingested_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (market, symbol, "interval", open_time)
);
COMMENT ON COLUMN klines.open_time IS 'candle open, epoch milliseconds UTC';
COMMENT ON COLUMN klines.close_time IS 'candle close (open of the next candle - 1), epoch milliseconds UTC';`,
  },
  {
    version: 2,
    name: "create kline_unfillable_gaps",
    sql: `
CREATE TABLE IF NOT EXISTS kline_unfillable_gaps (
  market      text        NOT NULL,
  symbol      text        NOT NULL,
  "interval"  text        NOT NULL,
  gap_start   bigint      NOT NULL,
  gap_end     bigint      NOT NULL,
  detected_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (market, symbol, "interval", gap_start)
);`,
  },
];

/** The full DDL as one script, for operators who apply it by hand. */
export const KLINES_DDL = MIGRATIONS.map((m) => `-- ${m.version}: ${m.name}${m.sql}`).join("\n\n");

/**
 * Applies pending migrations idempotently. A transaction-scoped advisory lock (per schema)
 * serializes concurrent starts (F36: a CronJob and a Deployment starting together).
 */
export async function migrate(pool: Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query(
      "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.kline_extractor_migrations'))",
    );
    await client.query(`CREATE TABLE IF NOT EXISTS kline_extractor_migrations (
      version    integer     PRIMARY KEY,
      name       text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = await client.query<{ version: number }>("SELECT version FROM kline_extractor_migrations");
    const have = new Set(done.rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (have.has(m.version)) continue;
      await client.query(m.sql);
      await client.query("INSERT INTO kline_extractor_migrations (version, name) VALUES ($1, $2)", [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    await client.query("COMMIT");
    return applied;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
