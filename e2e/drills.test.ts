import {
  PrivateNatsServer,
  PrivateRedisServer,
  pgSchema,
  type ServiceProcess,
  waitFor,
} from "@tradewire/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServiceName, startService } from "./services.js";

// Fault drills on private NATS and Redis servers: restart NATS, SIGKILL the engine and the intent
// consumer, stop Redis. The pipeline must recover by itself, /ready must go false and back to true,
// and every intent must be decided exactly once.
describe("fault drills", () => {
  let nats: PrivateNatsServer;
  let redisServer: PrivateRedisServer;
  let db: Awaited<ReturnType<typeof pgSchema>>;
  let producer: Redis;
  const services = new Map<ServiceName, ServiceProcess>();
  const readiness = new Map<ServiceName, boolean[]>();
  const written: string[] = [];
  const STREAM = "drill:trade.intent";
  let env: Record<string, string>;
  let polling = true;
  let pollLoop: Promise<void>;

  async function launch(name: ServiceName, extra: Record<string, string> = {}): Promise<ServiceProcess> {
    const svc = await startService(name, { ...env, ...extra });
    services.set(name, svc);
    return svc;
  }

  beforeAll(async () => {
    nats = await PrivateNatsServer.start();
    redisServer = await PrivateRedisServer.start();
    db = await pgSchema("drill");
    producer = new Redis(redisServer.url, { maxRetriesPerRequest: null });
    // Connection errors are expected while the drill stops Redis; the client reconnects by itself.
    producer.on("error", () => {});
    env = {
      NATS_URL: nats.url,
      REDIS_URL: redisServer.url,
      DATABASE_URL: db.url,
      SYMBOLS: "BTCUSDT",
      TRADE_INTENT_STREAM: STREAM,
      TRADE_INTENT_CONSUMER: "drill-consumer",
      TRADE_INTENT_START: "backlog",
      COOLDOWN_SECONDS: "0",
      MAX_NOTIONAL_PER_POSITION: "1000000",
      MAX_NOTIONAL_PER_SYMBOL: "1000000",
      MAX_PORTFOLIO_EXPOSURE: "1000000",
      DAILY_LOSS_LIMIT: "1000000",
      CLAIM_LEASE_SECONDS: "3",
    };
    await launch("market-relay", { SIM_SPEED: "2" });
    await launch("trade-engine");
    await launch("trade-intent-consumer");
    await Promise.all([...services.values()].map((s) => s.waitReady(30_000)));
    pollLoop = (async () => {
      while (polling) {
        for (const [name, svc] of services) {
          const state = (await svc.readyState())?.status === 200;
          const seen = readiness.get(name) ?? [];
          if (seen.at(-1) !== state) seen.push(state);
          readiness.set(name, seen);
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
  });

  afterAll(async () => {
    polling = false;
    await pollLoop;
    await Promise.all([...services.values()].map((s) => s.stop("SIGTERM")));
    producer.disconnect();
    await redisServer.dispose();
    await nats.dispose();
    await db.cleanup();
  });

  async function produce(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const side = written.length % 2 === 0 ? "BUY" : "SELL";
      const id = await producer.xadd(
        STREAM,
        "*",
        "symbol",
        "BTCUSDT",
        "side",
        side,
        "confidence",
        "0.8",
        "position_size_usd",
        "20",
        "timestamp",
        new Date().toISOString(),
        "model",
        "drill",
      );
      if (id) written.push(`${STREAM}:${id}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const wentDownAndUp = (name: ServiceName) => {
    const seen = readiness.get(name) ?? [];
    const down = seen.indexOf(false);
    return down >= 0 && seen.slice(down).includes(true);
  };

  it("recovers from a NATS restart, SIGKILLs and a Redis outage, deciding every intent exactly once", async () => {
    await produce(5);

    // 1. NATS restarts mid-run.
    await nats.stop();
    await produce(3);
    await waitFor(
      "engine not ready while NATS is down",
      () => readiness.get("trade-engine")?.includes(false),
      10_000,
    );
    await nats.restart();
    await waitFor("engine ready again after NATS", () => wentDownAndUp("trade-engine"), 30_000);
    await produce(5);

    // 2. SIGKILL the engine and the intent consumer mid-run, then start them again.
    await (services.get("trade-engine") as ServiceProcess).stop("SIGKILL");
    await (services.get("trade-intent-consumer") as ServiceProcess).stop("SIGKILL");
    await produce(5);
    await launch("trade-engine");
    await launch("trade-intent-consumer");
    await Promise.all(
      [services.get("trade-engine"), services.get("trade-intent-consumer")].map((s) => s?.waitReady(30_000)),
    );
    await produce(5);

    // 3. Redis stops for a few seconds.
    await redisServer.stop();
    await waitFor(
      "intent consumer not ready while Redis is down",
      () => {
        const seen = readiness.get("trade-intent-consumer") ?? [];
        return seen.lastIndexOf(false) > seen.indexOf(true, 0) || seen.at(-1) === false;
      },
      15_000,
    );
    await new Promise((r) => setTimeout(r, 3_000));
    await redisServer.restart();
    await waitFor(
      "intent consumer ready again",
      async () => (await services.get("trade-intent-consumer")?.readyState())?.status === 200,
      30_000,
    );
    await produce(5);

    // Every intent written reaches exactly one final decision, and at most one order.
    await waitFor(
      `all ${written.length} intents decided`,
      async () => {
        const { rows } = await db.pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM engine_signals WHERE status IN ('FILLED', 'REJECTED')",
        );
        return rows[0]?.n === written.length;
      },
      90_000,
      500,
    );
    const { rows } = await db.pool.query<{
      signal_id: string;
      status: string;
      reason: string | null;
      orders: number;
    }>(
      `SELECT s.signal_id, s.status, s.reason, (SELECT count(*)::int FROM engine_orders o WHERE o.signal_id = s.signal_id) AS orders FROM engine_signals s`,
    );
    expect(rows.map((r) => r.signal_id).sort()).toEqual([...written].sort());
    for (const r of rows) expect(r.orders).toBe(r.status === "FILLED" ? 1 : 0);
    // Rejections can happen (no fresh price while NATS is down) but most must fill; a failure
    // names the reasons.
    const reasons = rows.filter((r) => r.status === "REJECTED").map((r) => r.reason);
    expect(
      rows.filter((r) => r.status === "FILLED").length,
      `rejected: ${reasons.join("; ")}`,
    ).toBeGreaterThan(written.length / 2);
    expect(wentDownAndUp("trade-engine")).toBe(true);
    expect(wentDownAndUp("trade-intent-consumer")).toBe(true);
    expect((await producer.xpending(STREAM, "tradewire:group:trade-intent-consumer"))[0]).toBe(0);
  }, 240_000);
});
