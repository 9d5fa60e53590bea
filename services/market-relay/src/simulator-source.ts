import { type Supervisor, sleep } from "@tradewire/supervisor";
import type { MarketSource } from "./app.js";
import type { Config } from "./config.js";
import type { MarketPublisher } from "./publisher.js";
import { BOOK_INTERVAL_MS, MarketSimulator } from "./simulator.js";

/** The seeded market simulator as a supervised task, at Binance's cadence times SIM_SPEED. */
export function startSimulatorSource(
  cfg: Config,
  publisher: MarketPublisher,
  supervisor: Supervisor,
): MarketSource {
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
  return {
    isReceiving: () => Date.now() - lastPublish < 5_000,
    describe: () => ({ simulatedTime: new Date(sim.now).toISOString() }),
  };
}
