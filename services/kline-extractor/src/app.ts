import type { Bus } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { PingWatch, Supervisor } from "@tradewire/supervisor";
import { createBinanceSource } from "./binance-source.js";
import { type KlineExtractorConfig, SERVICE } from "./config.js";
import { Extractor } from "./extractor.js";
import { ExtractorMetrics } from "./metrics.js";
import { incrementalSchedule } from "./scheduler.js";
import { migrate } from "./storage/migrations.js";
import { openPool } from "./storage/pool.js";
import { connectEventBus, eventSink } from "./wiring.js";

/** Wires and starts the extractor (service mode); a failure on the way is one error line and exit 1 (runService). */
export async function startExtractor(config: KlineExtractorConfig, log: Logger): Promise<void> {
  const supervisor = new Supervisor({
    service: SERVICE,
    logger: log,
    httpPort: config.HTTP_PORT,
    heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_S * 1000,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
  const pool = openPool({
    url: config.DATABASE_URL,
    max: config.EXTRACT_CONCURRENCY * 2 + 1,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    log,
  });
  await migrate(pool);
  // A database that hangs with its connections open (a failover, a partition) gives no error: the
  // writes wait on it until TCP gives up, many minutes later.
  const dbAnswers = new PingWatch({
    name: "postgres",
    ping: () => pool.query("SELECT 1"),
    closed: () => pool.ending,
    logger: log,
    silentMessage: "postgres not answering pings: klines are written once it answers",
    answeringMessage: "postgres answering again",
  });
  // NATS carries only the completion events: the extraction starts without it, and the events go
  // out once it connects (until then each is counted and said as not published).
  const sink = eventSink(config, log);
  let bus: Bus | undefined;
  const metrics = new ExtractorMetrics(supervisor.metrics);
  sink.onFailure = () => metrics.eventFailures.inc();
  const source = createBinanceSource(config, log);

  supervisor.addDependency({
    name: "postgres",
    isReady: async () => (await pool.query("SELECT 1")).rowCount === 1,
  });
  if (config.NATS_ENABLED) {
    supervisor.addDependency({ name: "nats", isReady: () => sink.isConnected() });
    supervisor.addTask({
      name: "nats-connect",
      kind: "oneshot",
      required: false,
      run: async (ctx) => {
        // Retries until it connects (each failure said at warn) or the service stops.
        const connected = await connectEventBus(config, log, { signal: ctx.signal }).catch(
          (error: unknown) => {
            if (ctx.signal.aborted) return undefined;
            throw error;
          },
        );
        if (connected === undefined) return;
        bus = connected;
        sink.attach(connected);
      },
    });
  }
  supervisor.addDetail("series", () => ({
    symbols: config.SYMBOLS,
    intervals: config.INTERVALS,
    market: config.MARKET,
  }));
  supervisor.addDetail("eventPublishFailures", () => sink.failures);
  supervisor.addTask({
    name: "incremental",
    stallTimeoutMs: 5 * 60_000,
    // A ban outlasting the deadline, or a database that hangs, is waited out, not restarted into.
    pausedBy: () => dbAnswers.silence() ?? source.limiter.pausedBy(),
    run: incrementalSchedule(
      (progress) =>
        new Extractor({
          pool,
          source,
          events: sink,
          log,
          progress,
          metrics,
          writeBufferRows: config.WRITE_BUFFER_ROWS,
        }),
      {
        symbols: config.SYMBOLS,
        intervals: config.INTERVALS,
        market: config.MARKET,
        concurrency: config.EXTRACT_CONCURRENCY,
        initialLookbackCandles: config.INITIAL_LOOKBACK_CANDLES,
        closeDelayMs: config.CLOSE_DELAY_MS,
      },
    ),
  });
  supervisor.onShutdown({ name: "nats drain", run: async () => bus?.drain() });
  supervisor.onShutdown({
    name: "postgres close",
    run: () => {
      dbAnswers.stop();
      return pool.end();
    },
  });
  supervisor.onShutdown({ name: "binance source close", run: () => source.close() });
  await supervisor.start();
}
