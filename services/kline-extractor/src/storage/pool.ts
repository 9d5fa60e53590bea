import type { Logger } from "@tradewire/logger";
import pg from "pg";

export interface PoolOptions {
  url: string;
  max: number;
  /** `application_name`, as pg_stat_activity shows the connections (default `kline-extractor`). */
  name?: string;
  /** A connect not answered within this fails (DATABASE_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
  /**
   * A statement the server never answers (a failover that left the connection open) fails after
   * this (default 2 minutes).
   */
  unansweredStatementMs?: number;
  log: Logger;
}

/**
 * A pool for the klines tables (the extractor's, and the strategies' warm-up). A database that hangs fails the start or the call instead of holding it
 * without a word: connects are bounded, and a statement the server never answers gives up and drops
 * its connection, where TCP would wait many minutes. An idle connection the server drops is said at
 * warn and replaced (without a listener it would crash the process).
 */
export function openPool(o: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: o.url,
    max: o.max,
    application_name: o.name ?? "kline-extractor",
    connectionTimeoutMillis: o.connectTimeoutMs,
    query_timeout: o.unansweredStatementMs ?? 120_000,
  });
  pool.on("error", (error) =>
    o.log.warn("idle PostgreSQL connection lost; the pool opens a new one when needed", { err: error }),
  );
  return pool;
}

/** Where `url` points, without its credentials: `host:port/database`. */
export function databaseAddress(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
}
