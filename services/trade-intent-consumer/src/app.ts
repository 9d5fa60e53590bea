import { Bus, STREAMS } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { PingWatch, Supervisor } from "@tradewire/supervisor";
import type { Config } from "./config.js";
import { IntentConsumer } from "./consumer.js";
import { createIntentMetrics } from "./metrics.js";
import { Monitor } from "./monitor.js";
import { BatchProcessor } from "./processor.js";
import { Reclaimer } from "./reclaimer.js";
import { connectRedis } from "./redis.js";

export interface IntentService {
  supervisor: Supervisor;
  processor: BatchProcessor;
  reclaimer: Reclaimer;
  stop(reason: string): Promise<void>;
}

/** Wires the service: two Redis connections, NATS, the read loop, the reclaimer and the monitor. */
export async function startIntentService(
  cfg: Config,
  logger: Logger,
  opts: { handleSignals?: boolean } = {},
): Promise<IntentService> {
  const mode = cfg.TRADE_INTENT_SAFE_DRAIN
    ? "SAFE_DRAIN (validate, log and ack; NOTHING is forwarded to execution)"
    : "forwarding";
  const supervisor = Supervisor.forService("trade-intent-consumer", logger, cfg, opts);
  const log = logger.child({ component: "intents" });
  const reader = connectRedis(cfg.REDIS_URL, "reader", log);
  const admin = connectRedis(cfg.REDIS_URL, "admin", log);
  // A Redis that hangs with the socket open: a blocked XREADGROUP waits for ever, with no error.
  const redisAnswers = new PingWatch({
    name: "redis",
    ping: () => admin.ping(),
    closed: () => admin.status === "end",
    logger: log,
    silentMessage: "redis not answering pings: intents wait until it answers",
    answeringMessage: "redis answering again",
  });
  /** While Redis does not answer, a restart of its readers would only wait again. */
  const redisSilent = () => redisAnswers.silence();
  const bus = await Bus.connect({
    servers: cfg.NATS_URL,
    name: `trade-intent-consumer:${cfg.TRADE_INTENT_CONSUMER}`,
    logger,
    namespace: cfg.TRADEWIRE_NAMESPACE,
  });
  await bus.ensureStream(STREAMS.intents);

  const metrics = createIntentMetrics(supervisor.metrics);
  const processor = new BatchProcessor({ admin, bus, cfg, log, metrics });
  const consumer = new IntentConsumer({ reader, admin, cfg, log, processor });
  const reclaimer = new Reclaimer({ admin, cfg, log, processor });
  const monitor = new Monitor({ admin, cfg, log, metrics, processor });

  supervisor.addTask({
    name: "intent-reader",
    stallTimeoutMs: cfg.TRADE_INTENT_BLOCK_MS * 10 + 30_000,
    pausedBy: redisSilent,
    run: (ctx) => consumer.run(ctx),
  });
  supervisor.addTask({
    name: "reclaimer",
    stallTimeoutMs: cfg.TRADE_INTENT_RECLAIM_INTERVAL_MS * 4 + 60_000,
    pausedBy: redisSilent,
    run: (ctx) => reclaimer.run(ctx),
  });
  supervisor.addTask({
    name: "monitor",
    required: false,
    run: (ctx) => monitor.run(ctx, cfg.HEARTBEAT_INTERVAL_S * 1000),
  });
  supervisor.addDependency({
    name: "redis",
    isReady: () => reader.status === "ready" && admin.status === "ready" && redisAnswers.answering(),
  });
  supervisor.addDependency({ name: "nats", isReady: () => bus.isConnected() });
  supervisor.addDetail("mode", () => mode);
  supervisor.addDetail("stream", () => cfg.TRADE_INTENT_STREAM);
  supervisor.addDetail("consumer", () => cfg.TRADE_INTENT_CONSUMER);
  supervisor.onShutdown({ name: "nats-drain", run: () => bus.drain() });
  supervisor.onShutdown({
    name: "redis-quit",
    run: async () => {
      redisAnswers.stop();
      reader.disconnect();
      await admin.quit();
    },
  });

  await consumer.ensureGroup();
  await supervisor.start();
  const startFields = {
    stream: cfg.TRADE_INTENT_STREAM,
    group: cfg.TRADE_INTENT_GROUP,
    consumer: cfg.TRADE_INTENT_CONSUMER,
    mode,
    position: cfg.TRADE_INTENT_START,
    maxAgeMinutes: cfg.TRADE_INTENT_MAX_AGE_MINUTES,
    dlq: cfg.TRADE_INTENT_DLQ_STREAM,
  };
  if (cfg.TRADE_INTENT_SAFE_DRAIN)
    log.warn("SAFE_DRAIN MODE: intents are drained and acked, never forwarded", startFields);
  log.info("trade intent consumer started", startFields);
  return { supervisor, processor, reclaimer, stop: (reason) => supervisor.stop(reason) };
}
