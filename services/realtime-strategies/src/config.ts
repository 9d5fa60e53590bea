import { commonEnv, databaseEnv, env, natsEnv } from "@tradewire/config";
import { DEFAULT_EXTRACTION_PREFIX, subjects } from "@tradewire/schemas";
import { z } from "zod";
import { STRATEGY_NAMES, type StrategyName } from "./strategies/names.js";
import { StrategyParams } from "./strategies/registry.js";

const enabledFlags = Object.fromEntries(
  STRATEGY_NAMES.map((n) => [`STRATEGY_ENABLED_${n.toUpperCase()}`, env.bool(true)]),
);

/** Why `prefix` cannot start a subject (a wildcard, an empty token), or undefined. */
function subjectPrefixProblem(prefix: string): string | undefined {
  try {
    subjects.extractionAll(prefix);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The only place this service reads its environment. */
export const ConfigSchema = z.object({
  ...commonEnv,
  ...natsEnv,
  ...databaseEnv,
  ...enabledFlags,
  TRADEWIRE_NAMESPACE: env.string(""),
  SYMBOLS: env.list(["BTCUSDT", "ETHUSDT"], { upper: true }),
  /** Replicas split symbols: this replica keeps those whose hash % SHARD_COUNT == SHARD_INDEX. */
  SHARD_INDEX: env.int(0, { min: 0 }),
  SHARD_COUNT: env.int(1, { min: 1 }),
  COOLDOWN_SECONDS: env.int(30, { min: 0 }),
  SUMMARY_INTERVAL_S: env.int(30, { min: 1 }),
  STALE_SYMBOL_S: env.int(30, { min: 1 }),
  WARMUP_ENABLED: env.bool(true),
  WARMUP_CANDLES: env.int(6000, { min: 0, max: 100_000 }),
  /** A warm-up read PostgreSQL has not answered within this fails the start (a database that hangs). */
  WARMUP_TIMEOUT_S: env.int(30, { min: 1 }),
  /** After a hole in the live 1m candles, how often the klines table is read again to rebuild on. */
  SERIES_REPAIR_RETRY_S: env.int(60, { min: 1 }),
  /**
   * Subject prefix of kline-extractor's extraction-completed events (its NATS_SUBJECT_PREFIX): one
   * that wrote 1m klines of a symbol with a hole wakes its repair at once. `off`: retries only.
   */
  EXTRACTION_EVENTS_PREFIX: env.stringOrOff(DEFAULT_EXTRACTION_PREFIX, subjectPrefixProblem),
  /** Legacy socket-client envelope subject ({stream, data}); `off` disables it. */
  ENVELOPE_SUBJECT: env.stringOrOff("binance.websocket.data"),
  /**
   * JSON object of per-strategy parameter overrides, e.g. {"orderbook_skew":{"imbalanceThreshold":0.4}};
   * a key no strategy has fails the start, naming it (a misspelled one would leave the default).
   */
  STRATEGY_PARAMS: env.json(StrategyParams),
  OUTBOX_CAPACITY: env.int(10_000, { min: 1 }),
});
export type Config = z.output<typeof ConfigSchema>;

export function enabledStrategies(cfg: Config): StrategyName[] {
  const disabled = new Set(
    Object.entries(cfg)
      .filter(([k, v]) => k.startsWith("STRATEGY_ENABLED_") && v === false)
      .map(([k]) => k),
  );
  return STRATEGY_NAMES.filter((n) => !disabled.has(`STRATEGY_ENABLED_${n.toUpperCase()}`));
}
