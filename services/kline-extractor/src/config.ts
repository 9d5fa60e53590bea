import { commonEnv, databaseEnv, env } from "@tradewire/config";
import { DEFAULT_EXTRACTION_PREFIX, KLINE_INTERVALS } from "@tradewire/schemas";
import { z } from "zod";

export const SERVICE = "kline-extractor";

/** Every variable the CLI and the service read; `process.env` is read nowhere else. */
export const KlineExtractorConfig = z.object({
  ...commonEnv,
  ...databaseEnv,
  /** A PostgreSQL connect not answered within this fails the start, the run or the call. */
  DATABASE_CONNECT_TIMEOUT_MS: env.int(10_000, { min: 100, max: 300_000 }),
  NATS_URL: env.url("nats://localhost:4222", ["nats", "tls", "ws", "wss"]),
  NATS_ENABLED: env.bool(true),
  NATS_SUBJECT_PREFIX: env.string(DEFAULT_EXTRACTION_PREFIX),
  /** Prefix isolating subjects (tests); passed to Bus.connect as `namespace`. */
  TRADEWIRE_NAMESPACE: env.string(""),
  /** The CLI gives NATS this long to connect before running without events. */
  NATS_CONNECT_TIMEOUT_MS: env.int(2_000, { min: 100, max: 60_000 }),
  BINANCE_HTTP_BASE: env.url("https://api.binance.com", ["http", "https"]),
  BINANCE_FUTURES_HTTP_BASE: env.url("https://fapi.binance.com", ["http", "https"]),
  /** Request weight per minute the exchange allows this IP (spot REST: 1200). */
  BINANCE_WEIGHT_LIMIT: env.int(1200, { min: 1 }),
  /** Share of the weight limit this process may use (the rest is left to other processes). */
  BINANCE_RATE_LIMIT_SHARE: env.number(0.5, { min: 0.01, max: 1 }),
  BINANCE_TIMEOUT_MS: env.int(10_000, { min: 100, max: 120_000 }),
  /** Redis shared by every process on this IP (the weight limit is per IP); empty keeps a per-process budget. */
  BINANCE_SHARED_BUDGET_REDIS_URL: env.string(""),
  /** Redis key prefix of the shared budget: one per IP (name it after the node or egress IP). */
  BINANCE_SHARED_BUDGET_KEY: env.string("tradewire:binance:weight"),
  BINANCE_MAX_RETRIES: env.int(3, { min: 0, max: 10 }),
  /** Service mode (`start`): what to keep up to date. */
  SYMBOLS: env.list(["BTCUSDT"], { upper: true }),
  INTERVALS: env.list(["1m"]).pipe(z.array(z.enum(KLINE_INTERVALS)).min(1)),
  MARKET: env.enum(["spot", "futures"] as const, "spot"),
  EXTRACT_CONCURRENCY: env.int(2, { min: 1, max: 64 }),
  /** Service mode: candles to fetch for a series with nothing stored yet. */
  INITIAL_LOOKBACK_CANDLES: env.int(1000, { min: 1, max: 1_000_000 }),
  /** Service mode: wait this long after a candle closes before fetching it. */
  CLOSE_DELAY_MS: env.int(2_000, { min: 0, max: 600_000 }),
  /** Rows buffered per write; large batches approach raw COPY speed. */
  WRITE_BUFFER_ROWS: env.int(10_000, { min: 1, max: 1_000_000 }),
});
export type KlineExtractorConfig = z.output<typeof KlineExtractorConfig>;

/** The process environment: the one place the service reads it. */
export const processEnv = (): Readonly<Record<string, string | undefined>> => process.env;
