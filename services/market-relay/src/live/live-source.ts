import { normalizeStreamEvent } from "@tradewire/binance";
import type { Bus } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import type { Supervisor } from "@tradewire/supervisor";
import type { MarketSource } from "../app.js";
import type { Config } from "../config.js";
import type { MarketPublisher } from "../publisher.js";
import { LiveFeed } from "./live-feed.js";
import { RejectedFrames } from "./rejected-frames.js";
import { planShards, streamNames } from "./stream-plan.js";

/** Binance combined streams → normalize and validate → publish; one supervised task per connection. */
export function startLiveSource(
  cfg: Config,
  bus: Bus,
  publisher: MarketPublisher,
  supervisor: Supervisor,
  log: Logger,
): MarketSource {
  const shards = planShards(
    streamNames(cfg.SYMBOLS, cfg.STREAMS),
    cfg.BINANCE_MARKET,
    cfg.MAX_STREAMS_PER_CONNECTION,
  );
  const rejected = new RejectedFrames(bus, log, supervisor.metrics);
  const feed = new LiveFeed({
    wsBase: cfg.BINANCE_WS_BASE,
    shards,
    connectTimeoutMs: cfg.CONNECT_TIMEOUT_MS,
    staleMs: cfg.STALE_STREAM_S * 1000,
    maxAgeMs: cfg.CONNECTION_MAX_AGE_S * 1000,
    backoff: { initialMs: 500, maxMs: 30_000 },
    registry: supervisor.metrics,
    log,
    handlers: {
      onEvent(stream, data, receiveTime, bytes) {
        const result = normalizeStreamEvent(stream, data, receiveTime, cfg.BINANCE_MARKET);
        if (result.ok) publisher.publish(result.value, bytes);
        else rejected.reject(stream, result.reason, JSON.stringify(data));
      },
      onMalformed(reason, raw) {
        rejected.reject("unknown", reason, raw);
      },
    },
  });
  for (const task of feed.tasks()) supervisor.addTask(task);
  supervisor.addTask(rejected.task());
  log.info("live market source planned", {
    connections: shards.length,
    streams: shards.reduce((n, s) => n + s.streams.length, 0),
    routes: [...new Set(shards.map((s) => s.route || "/"))],
    maxStreamsPerConnection: cfg.MAX_STREAMS_PER_CONNECTION,
  });
  return {
    isReceiving: () => feed.isReceiving(),
    describe: () => ({ connections: shards.length }),
  };
}
