import { Bus, STREAMS } from "@tradewire/bus";
import { parseConfig } from "@tradewire/config";
import { captureLogger, createSilentLogger } from "@tradewire/logger";
import { TradeIntent } from "@tradewire/schemas";
import { natsNamespace, redisScope } from "@tradewire/testkit";
import { type IntentService, startIntentService } from "../src/app.js";
import { type Config, ConfigSchema } from "../src/config.js";

export const NOW_ISO = () => new Date().toISOString();
export const intentFields = (overrides: Record<string, string> = {}) => ({
  symbol: "BTCUSDT",
  side: "BUY",
  confidence: "0.8",
  position_size_usd: "100",
  timestamp: NOW_ISO(),
  ...overrides,
});

/** One isolated environment: a Redis key prefix, a NATS namespace, and an observer of trade.intent. */
export async function environment() {
  const redis = await redisScope("tic");
  const nats = await natsNamespace("tic");
  const bus = await Bus.connect({
    servers: nats.url,
    name: "observer",
    logger: createSilentLogger(),
    namespace: nats.namespace,
  });
  await bus.ensureStream(STREAMS.intents);
  const stream = redis.key("intents");
  const services: IntentService[] = [];

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    NATS_URL: nats.url,
    TRADEWIRE_NAMESPACE: nats.namespace,
    REDIS_URL: redis.url,
    TRADE_INTENT_STREAM: stream,
    TRADE_INTENT_GROUP: "group",
    TRADE_INTENT_CONSUMER: "c1",
    TRADE_INTENT_BLOCK_MS: "100",
    HTTP_PORT: "0",
    ...extra,
  });

  return {
    redis,
    nats,
    bus,
    stream,
    env,
    config: (extra: Record<string, string> = {}): Config => parseConfig("test", ConfigSchema, env(extra)),
    async start(extra: Record<string, string> = {}) {
      const cap = captureLogger("trade-intent-consumer");
      const svc = await startIntentService(this.config(extra), cap.logger, { handleSignals: false });
      services.push(svc);
      return { svc, cap };
    },
    /** Every intent on JetStream so far, in order. */
    /** Nats-Msg-Id of every stored intent, read with an ordered consumer (fast for large counts). */
    async forwardedIds(): Promise<string[]> {
      const name = `${nats.namespace}_${STREAMS.intents.name}`;
      const total = (await bus.jsm.streams.info(name)).state.messages;
      const ids: string[] = [];
      if (total === 0) return ids;
      const consumer = await bus.js.consumers.get(name);
      const messages = await consumer.consume({ max_messages: 1000 });
      for await (const m of messages) {
        if (m.subject === `${nats.namespace}.trade.intent`) ids.push(m.headers?.get("Nats-Msg-Id") ?? "");
        if (m.info.pending === 0) break;
      }
      return ids;
    },
    async storedCount(): Promise<number> {
      return (await bus.jsm.streams.info(`${nats.namespace}_${STREAMS.intents.name}`)).state.messages;
    },
    async forwarded(): Promise<{ msgId: string | undefined; intent: TradeIntent }[]> {
      const name = `${nats.namespace}_${STREAMS.intents.name}`;
      const info = await bus.jsm.streams.info(name);
      const out: { msgId: string | undefined; intent: TradeIntent }[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const m = await bus.jsm.streams.getMessage(name, { seq });
        if (m && m.subject === `${nats.namespace}.trade.intent`) {
          out.push({ msgId: m.header.get("Nats-Msg-Id") || undefined, intent: TradeIntent.parse(m.json()) });
        }
      }
      return out;
    },
    async cleanup() {
      await Promise.all(services.map((s) => s.stop("test done")));
      await bus.drain();
      await nats.cleanup();
      await redis.cleanup();
    },
  };
}
