import { Bus } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { Supervisor, sleep } from "@tradewire/supervisor";
import type { Config } from "./config.js";
import { MarketPublisher } from "./publisher.js";
import { BOOK_INTERVAL_MS, MarketSimulator } from "./simulator.js";

/** Wires the relay: NATS, the market source (the simulator for now) and the summary loop. */
export async function startRelay(cfg: Config, logger: Logger, opts: { handleSignals?: boolean } = {}) {
  const supervisor = Supervisor.forService("market-relay", logger, cfg, opts);
  const log = logger.child({ component: "relay" });
  const bus = await Bus.connect({
    servers: cfg.NATS_URL,
    name: "market-relay",
    logger,
    namespace: cfg.TRADEWIRE_NAMESPACE,
  });
  const publisher = new MarketPublisher(bus, supervisor.metrics);
  const sim = new MarketSimulator(cfg.SYMBOLS, cfg.SIM_SEED, Date.now(), cfg.BINANCE_MARKET);
  let lastPublish = 0;

  supervisor.addTask({
    name: "simulator",
    stallTimeoutMs: 10_000,
    async run(ctx) {
      const intervalMs = BOOK_INTERVAL_MS / cfg.SIM_SPEED;
      let next = performance.now();
      while (!ctx.signal.aborted) {
        const receiveTime = Date.now();
        for (const message of sim.step()) {
          message.receiveTime = receiveTime;
          publisher.publish(message);
        }
        lastPublish = receiveTime;
        ctx.progress();
        next += intervalMs;
        // Catch up without bursting forever if the loop fell behind.
        if (performance.now() - next > 1000) next = performance.now();
        await sleep(Math.max(0, next - performance.now()), ctx.signal);
      }
    },
  });
  supervisor.addTask({
    name: "summary",
    required: false,
    async run(ctx) {
      while (!ctx.signal.aborted) {
        await sleep(cfg.SUMMARY_INTERVAL_S * 1000, ctx.signal);
        publisher.summarize(log, {
          source: cfg.MARKET_SOURCE,
          symbols: cfg.SYMBOLS,
          simulatedTime: new Date(sim.now).toISOString(),
        });
        ctx.progress();
      }
    },
  });
  supervisor.addDependency({ name: "nats", isReady: () => bus.isConnected() });
  supervisor.addDependency({ name: "publishing", isReady: () => Date.now() - lastPublish < 5_000 });
  supervisor.addDetail("source", () => cfg.MARKET_SOURCE);
  supervisor.addDetail("symbols", () => cfg.SYMBOLS);
  supervisor.onShutdown({ name: "nats-drain", run: () => bus.drain() });
  await supervisor.start();
  log.info("market relay started", {
    source: cfg.MARKET_SOURCE,
    symbols: cfg.SYMBOLS,
    seed: cfg.SIM_SEED,
    speed: cfg.SIM_SPEED,
  });
  return { supervisor, stop: (reason: string) => supervisor.stop(reason) };
}
