import { execFileSync } from "node:child_process";
import { natsNamespace, pgSchema, redisScope, type ServiceProcess, waitFor } from "@tradewire/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService } from "./services.js";

// Redis trade.intent -> trade-intent-consumer -> JetStream -> trade-engine (paper), prices from the relay.
describe("intents: Redis stream to paper order", () => {
  let ns: Awaited<ReturnType<typeof natsNamespace>>;
  let db: Awaited<ReturnType<typeof pgSchema>>;
  let redis: Awaited<ReturnType<typeof redisScope>>;
  const services: Record<string, ServiceProcess> = {};
  let stream: string;

  beforeAll(async () => {
    ns = await natsNamespace("e2ei");
    db = await pgSchema("e2ei");
    redis = await redisScope("e2ei");
    stream = redis.key("trade.intent");
    const env = {
      NATS_URL: ns.url,
      TRADEWIRE_NAMESPACE: ns.namespace,
      DATABASE_URL: db.url,
      SYMBOLS: "BTCUSDT,ETHUSDT",
    };
    services.engine = await startService("trade-engine", { ...env, TRADING_MODE: "paper" });
    services.relay = await startService("market-relay", { ...env, SIM_SPEED: "5" });
    services.consumer = await startService("trade-intent-consumer", {
      ...env,
      REDIS_URL: redis.url,
      TRADE_INTENT_STREAM: stream,
      TRADE_INTENT_CONSUMER: "e2e-1",
    });
    await Promise.all(Object.values(services).map((s) => s.waitReady(30_000)));
  });

  afterAll(async () => {
    await Promise.all(Object.values(services).map((s) => s.stop("SIGTERM")));
    await ns.cleanup();
    await db.cleanup();
    await redis.cleanup();
  });

  function xadd(fields: Record<string, string>): string {
    const port = new URL(redis.url).port || "6379";
    return execFileSync("redis-cli", ["-p", port, "XADD", stream, "*", ...Object.entries(fields).flat()], {
      encoding: "utf8",
    }).trim();
  }

  it("executes a fresh intent once, and accounts for a stale and an invalid one", async () => {
    const now = new Date().toISOString();
    const freshId = xadd({
      symbol: "BTCUSDT",
      side: "BUY",
      confidence: "0.8",
      position_size_usd: "150",
      leverage: "1",
      timestamp: now,
      model: "e2e",
    });
    const staleId = xadd({
      symbol: "ETHUSDT",
      side: "BUY",
      confidence: "0.9",
      timestamp: "2025-12-24T04:32:14.062679",
      model: "e2e",
    });
    const invalidId = xadd({
      symbol: "BTCUSDT",
      side: "BUY",
      confidence: "0.7",
      leverage: "500",
      timestamp: now,
    });

    const engine = services.engine as ServiceProcess;
    const freshSignal = await waitFor(
      "the fresh intent filled",
      async () => {
        const { status, body } = await engine.get<{ status: string; orders: unknown[] }>(
          `/signals/${encodeURIComponent(`${stream}:${freshId}`)}`,
        );
        return status === 200 && body.status === "FILLED" ? body : undefined;
      },
      30_000,
      250,
    );
    expect(freshSignal.orders).toHaveLength(1);
    for (const id of [staleId, invalidId]) {
      expect((await engine.get(`/signals/${encodeURIComponent(`${stream}:${id}`)}`)).status).toBe(404);
    }
    const consumer = services.consumer as ServiceProcess;
    await waitFor("stale counted", () =>
      consumer.find("intent stale; acked, not forwarded").some((l) => l.intentId === `${stream}:${staleId}`),
    );
    const dlq = await redis.redis.xrange(`${stream}:dlq`, "-", "+");
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.[1]).toEqual(expect.arrayContaining(["dlq_source_id", invalidId, "dlq_reason"]));
    expect((await redis.redis.xpending(stream, "tradewire:group:trade-intent-consumer"))[0]).toBe(0);
    const orders = await engine.get<{ orders: { signal_id: string }[] }>("/orders?status=filled");
    expect(orders.body.orders.map((o) => o.signal_id)).toEqual([`${stream}:${freshId}`]);
  });
});
