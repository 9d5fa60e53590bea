import { Bus, STREAMS } from "@tradewire/bus";
import { createSilentLogger } from "@tradewire/logger";
import { OrderEvent } from "@tradewire/schemas";
import { natsNamespace, pgSchema, type ServiceProcess, waitFor } from "@tradewire/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService } from "./services.js";

// Simulator -> market-relay -> realtime-strategies -> trade-engine (paper), through the real NATS.
describe("pipeline: simulated market to paper fill", () => {
  let ns: Awaited<ReturnType<typeof natsNamespace>>;
  let db: Awaited<ReturnType<typeof pgSchema>>;
  let bus: Bus;
  const services: ServiceProcess[] = [];
  const filled: Extract<OrderEvent, { event: "filled" }>[] = [];
  const consumer = new AbortController();
  let consuming: Promise<void>;

  beforeAll(async () => {
    ns = await natsNamespace("e2e");
    db = await pgSchema("e2e");
    const env = {
      NATS_URL: ns.url,
      TRADEWIRE_NAMESPACE: ns.namespace,
      DATABASE_URL: db.url,
      SYMBOLS: "BTCUSDT,ETHUSDT",
    };
    bus = await Bus.connect({
      servers: ns.url,
      name: "e2e",
      logger: createSilentLogger(),
      namespace: ns.namespace,
    });
    await bus.ensureStream(STREAMS.orders);
    await bus.ensureConsumer(STREAMS.orders, "e2e-observer");
    consuming = bus.runDurableConsumer(
      {
        stream: STREAMS.orders,
        durable: "e2e-observer",
        schema: OrderEvent,
        schemaName: "OrderEvent",
        handler: async (m) => {
          if (m.data.event === "filled") filled.push(m.data);
          await m.ack();
        },
      },
      { signal: consumer.signal, progress: () => {}, count: () => {} },
    );
    services.push(await startService("trade-engine", { ...env, TRADING_MODE: "paper" }));
    services.push(await startService("realtime-strategies", { ...env, WARMUP_ENABLED: "false" }));
    services.push(
      await startService("market-relay", {
        ...env,
        MARKET_SOURCE: "simulator",
        SIM_SPEED: "20",
        SIM_SEED: "7",
      }),
    );
    await Promise.all(services.map((s) => s.waitReady(30_000)));
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop("SIGTERM")));
    consumer.abort();
    await consuming;
    await bus.drain();
    await ns.cleanup();
    await db.cleanup();
  });

  it("takes a strategy signal from GENERATED to FILLED, visible in GET /signals/:id and orders.filled", async () => {
    const fill = await waitFor(
      "an orders.filled event for a strategy signal",
      () => filled.find((f) => f.strategy_id),
      90_000,
      200,
    );
    const engine = services[0] as ServiceProcess;
    const { status, body } = await engine.get<{
      status: string;
      events: { step: string }[];
      fills: unknown[];
    }>(`/signals/${encodeURIComponent(fill.signal_id)}`);
    expect(status).toBe(200);
    expect(body.status).toBe("FILLED");
    expect(body.fills).toHaveLength(1);
    expect(Number(fill.avg_price)).toBeGreaterThan(0);
    const strategies = services[1] as ServiceProcess;
    const lifecycle = strategies.lines.filter((l) => l.signalId === fill.signal_id).map((l) => l.stage);
    expect(lifecycle).toEqual(["GENERATED", "VALIDATED", "QUEUED", "FORWARDED"]);
    const engineStages = engine.lines
      .filter((l) => l.signalId === fill.signal_id && l.stage !== undefined)
      .map((l) => l.stage);
    expect(engineStages).toEqual(["RECEIVED", "ORDER_PLACED", "FILLED"]);
  });
});
