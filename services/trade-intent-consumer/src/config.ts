import { hostname } from "node:os";
import { commonEnv, env, natsEnv } from "@tradewire/config";
import { z } from "zod";

const DEFAULT_STREAM = "quantum:stream:trade.intent";

/** The only place this service reads its environment. */
export const ConfigSchema = z
  .object({
    ...commonEnv,
    ...natsEnv,
    TRADEWIRE_NAMESPACE: env.string(""),
    REDIS_URL: env.optionalString(),
    REDIS_HOST: env.string("127.0.0.1"),
    REDIS_PORT: env.port(6379),
    TRADE_INTENT_STREAM: env.string(DEFAULT_STREAM),
    TRADE_INTENT_GROUP: env.string("tradewire:group:trade-intent-consumer"),
    /** Stable across restarts (the pod hostname), so restarts do not breed ghost consumers (F18). */
    TRADE_INTENT_CONSUMER: env.string(hostname()),
    TRADE_INTENT_SAFE_DRAIN: env.bool(false),
    TRADE_INTENT_MAX_AGE_MINUTES: env.number(5, { min: 0.01 }),
    TRADE_INTENT_START: env.enum(["new", "backlog"] as const, "new"),
    TRADE_INTENT_BATCH_SIZE: env.int(500, { min: 1, max: 10_000 }),
    TRADE_INTENT_BLOCK_MS: env.int(1_000, { min: 10, max: 30_000 }),
    /** Batches read from `>` whose forwards and acks may be outstanding at once (1 = strictly one by one). */
    TRADE_INTENT_BATCHES_IN_FLIGHT: env.int(4, { min: 1, max: 32 }),
    TRADE_INTENT_RECLAIM_IDLE_MS: env.int(60_000, { min: 100 }),
    TRADE_INTENT_RECLAIM_INTERVAL_MS: env.int(15_000, { min: 50 }),
    TRADE_INTENT_MAX_DELIVERIES: env.int(5, { min: 1 }),
    TRADE_INTENT_DLQ_STREAM: env.optionalString(),
    TRADE_INTENT_GHOST_IDLE_MS: env.int(3_600_000, { min: 1_000 }),
  })
  .transform((c) => ({
    ...c,
    REDIS_URL: c.REDIS_URL ?? `redis://${c.REDIS_HOST}:${c.REDIS_PORT}`,
    TRADE_INTENT_DLQ_STREAM: c.TRADE_INTENT_DLQ_STREAM ?? `${c.TRADE_INTENT_STREAM}:dlq`,
  }));
export type Config = z.output<typeof ConfigSchema>;
