import { Bus, LeaderLease, STREAMS } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { Supervisor, sleep } from "@tradewire/supervisor";
import { type Config, feedId } from "./config.js";
import { startLiveSource } from "./live/live-source.js";
import { MarketPublisher } from "./publisher.js";
import { startReplaySource } from "./replay/replay-source.js";
import { startSimulatorSource } from "./simulator-source.js";

export interface MarketSource {
  /** Connected and receiving (live) or producing (simulator). */
  isReceiving(): boolean;
  describe(): Record<string, unknown>;
}

/** Wires the relay: NATS, the leader lease, the market source and the summary loop. */
export async function startRelay(cfg: Config, logger: Logger, opts: { handleSignals?: boolean } = {}) {
  const supervisor = Supervisor.forService("market-relay", logger, cfg, opts);
  const log = logger.child({ component: "relay" });
  const bus = await Bus.connect({
    servers: cfg.NATS_URL,
    name: "market-relay",
    logger,
    namespace: cfg.TRADEWIRE_NAMESPACE,
  });
  await bus.ensureStream(STREAMS.deadLetters);
  const publisher = new MarketPublisher(bus, supervisor.metrics);
  const feed = feedId(cfg);
  const lease = cfg.LEADER_ELECTION
    ? await LeaderLease.open(bus, {
        bucket: "relay-leases",
        key: feed,
        holder: cfg.RELAY_ID,
        ttlMs: cfg.LEASE_TTL_S * 1000,
        logger: log,
        onChange: (leader) => {
          publisher.active = leader;
        },
      })
    : undefined;
  if (lease !== undefined) {
    // Standby until the lease says otherwise: never two publishers for one feed (F16).
    publisher.active = false;
    supervisor.addTask({
      name: "leader-lease",
      stallTimeoutMs: cfg.LEASE_TTL_S * 1000 + 10_000,
      run: (ctx) => lease.run(ctx, sleep),
    });
  }

  const source: MarketSource =
    cfg.MARKET_SOURCE === "live"
      ? startLiveSource(cfg, bus, publisher, supervisor, log)
      : cfg.MARKET_SOURCE === "replay"
        ? startReplaySource(cfg, publisher, supervisor, log)
        : startSimulatorSource(cfg, publisher, supervisor);

  supervisor.addTask({
    name: "summary",
    required: false,
    async run(ctx) {
      while (!ctx.signal.aborted) {
        await sleep(cfg.SUMMARY_INTERVAL_S * 1000, ctx.signal);
        publisher.summarize(log, { source: cfg.MARKET_SOURCE, symbols: cfg.SYMBOLS, ...source.describe() });
        ctx.progress();
      }
    },
  });
  supervisor.addDependency({ name: "nats", isReady: () => bus.isConnected() });
  supervisor.addDependency({ name: "market", isReady: () => source.isReceiving() });
  supervisor.addDetail("source", () => cfg.MARKET_SOURCE);
  supervisor.addDetail("symbols", () => cfg.SYMBOLS);
  supervisor.addDetail("feed", () => feed);
  supervisor.addDetail("role", () => (lease === undefined || lease.isLeader ? "leader" : "standby"));
  supervisor.onShutdown({ name: "nats-drain", run: () => bus.drain() });
  await supervisor.start();
  log.info("market relay started", {
    source: cfg.MARKET_SOURCE,
    market: cfg.BINANCE_MARKET,
    symbols: cfg.SYMBOLS,
    streams: cfg.STREAMS,
    feed,
    relayId: cfg.RELAY_ID,
    leaderElection: cfg.LEADER_ELECTION,
    ...(cfg.MARKET_SOURCE === "live"
      ? { wsBase: cfg.BINANCE_WS_BASE }
      : { seed: cfg.SIM_SEED, speed: cfg.SIM_SPEED }),
  });
  return {
    supervisor,
    isLeader: () => publisher.active,
    stop: (reason: string) => supervisor.stop(reason),
  };
}
