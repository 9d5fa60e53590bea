import { Bus, STREAMS } from "@tradewire/bus";
import { openPool } from "@tradewire/kline-extractor/storage";
import type { Logger } from "@tradewire/logger";
import { MarketData, subjects } from "@tradewire/schemas";
import { Supervisor, sleep } from "@tradewire/supervisor";
import { Counter, Histogram } from "prom-client";
import { type Config, enabledStrategies } from "./config.js";
import { EnvelopeReader, SocketEnvelope } from "./envelope.js";
import { Evaluator } from "./evaluator.js";
import { SignalOutbox } from "./outbox.js";
import { SeriesRepair } from "./series-repair.js";
import { shardSymbols } from "./shard.js";
import { kindsRead, silentKinds } from "./silence.js";
import { buildStrategies } from "./strategies/registry.js";
import { SymbolState } from "./symbol-state.js";
import { warmUp } from "./warmup.js";

/** Wires the service: warm-up, one market-data subscription per owned symbol, evaluation, outbox. */
export async function startStrategies(cfg: Config, logger: Logger, opts: { handleSignals?: boolean } = {}) {
  const supervisor = Supervisor.forService("realtime-strategies", logger, cfg, opts);
  const log = logger.child({ component: "strategies" });
  const strategies = buildStrategies(enabledStrategies(cfg), cfg.STRATEGY_PARAMS);
  const symbols = shardSymbols(cfg.SYMBOLS, cfg.SHARD_INDEX, cfg.SHARD_COUNT);
  // Live candles after a hole are kept to rebuild on only while the klines table can be read.
  const keepSinceHole = cfg.WARMUP_ENABLED ? cfg.WARMUP_CANDLES : 0;
  const states = new Map(symbols.map((s) => [s, new SymbolState(s, keepSinceHole)]));

  let repair: SeriesRepair | undefined;
  if (cfg.WARMUP_ENABLED) {
    // Bounded: a database that hangs would hold the start for ever, before /healthz even listens.
    const timeoutMs = cfg.WARMUP_TIMEOUT_S * 1000;
    const pool = openPool({
      url: cfg.DATABASE_URL,
      max: 2,
      name: "realtime-strategies",
      connectTimeoutMs: timeoutMs,
      unansweredStatementMs: timeoutMs,
      log,
    });
    try {
      await warmUp(pool, [...states.values()], cfg.WARMUP_CANDLES, log);
    } catch (error) {
      await pool.end();
      throw error;
    }
    // Kept: a hole in the live candles is rebuilt from the same table.
    repair = new SeriesRepair({
      pool,
      candles: cfg.WARMUP_CANDLES,
      retryMs: cfg.SERIES_REPAIR_RETRY_S * 1000,
      log,
    });
    supervisor.onShutdown({ name: "postgres", run: () => pool.end() });
  }

  const bus = await Bus.connect({
    servers: cfg.NATS_URL,
    name: "realtime-strategies",
    logger,
    namespace: cfg.TRADEWIRE_NAMESPACE,
  });
  await bus.ensureStream(STREAMS.signals);
  const signalsTotal = new Counter({
    name: "tradewire_strategy_signals_total",
    help: "Signals by strategy and outcome",
    labelNames: ["strategy", "outcome"],
    registers: [supervisor.metrics],
  });
  const messages = new Counter({
    name: "tradewire_strategy_messages_total",
    help: "Market messages processed",
    labelNames: ["kind"],
    registers: [supervisor.metrics],
  });
  new Counter({
    name: "tradewire_strategy_books_refused_total",
    help: "depth20 books not taken: an empty side or a bid at or above the ask (book strategies skip them)",
    registers: [supervisor.metrics],
    collect() {
      this.reset();
      this.inc(evaluator.counts.booksRefused);
    },
  });
  const candleHoles = new Counter({
    name: "tradewire_strategy_candles_missing_total",
    help: "1m candles missing from the live feed (each hole restarts the candle indicators)",
    labelNames: ["symbol"],
    registers: [supervisor.metrics],
  });
  const evalSeconds = new Histogram({
    name: "tradewire_strategy_evaluation_seconds",
    help: "Strategy evaluation time",
    labelNames: ["strategy"],
    buckets: [1e-6, 5e-6, 2e-5, 1e-4, 5e-4, 2e-3, 1e-2],
    registers: [supervisor.metrics],
  });
  const outbox = new SignalOutbox(bus, log, cfg.OUTBOX_CAPACITY, (strategy, outcome) =>
    signalsTotal.inc({ strategy, outcome }),
  );
  const evaluator = new Evaluator({
    strategies,
    cooldownMs: cfg.COOLDOWN_SECONDS * 1000,
    log,
    emit: (signal) => {
      signalsTotal.inc({ strategy: signal.strategy_id, outcome: "generated" });
      outbox.submit(signal);
    },
    onEvaluated: (strategy, seconds) => evalSeconds.observe({ strategy }, seconds),
    onHole: (state, missing) => {
      candleHoles.inc({ symbol: state.symbol }, missing);
      repair?.add(state);
    },
  });
  const perKind: Record<string, number> = {};

  for (const [symbol, state] of states) {
    supervisor.addTask({
      name: `md-${symbol}`,
      run: (ctx) =>
        bus.runSubscription(
          {
            subject: subjects.marketDataForSymbol(symbol),
            schema: MarketData,
            schemaName: "MarketData",
            handler: (m) => {
              perKind[m.data.kind] = (perKind[m.data.kind] ?? 0) + 1;
              messages.inc({ kind: m.data.kind });
              evaluator.onMarketData(state, m.data, m.receivedAt);
            },
          },
          ctx,
        ),
    });
  }
  if (cfg.ENVELOPE_SUBJECT !== "") {
    const envelopes = new EnvelopeReader(log);
    supervisor.addTask({
      name: "socket-envelopes",
      run: (ctx) =>
        bus.runSubscription(
          {
            subject: cfg.ENVELOPE_SUBJECT,
            schema: SocketEnvelope,
            schemaName: "SocketEnvelope",
            handler: (m) => {
              const data = envelopes.read(m.data, m.receivedAt);
              const state = data && states.get(data.symbol);
              if (!data || !state) return;
              perKind[data.kind] = (perKind[data.kind] ?? 0) + 1;
              messages.inc({ kind: data.kind });
              evaluator.onMarketData(state, data, m.receivedAt);
            },
          },
          ctx,
        ),
    });
  }
  supervisor.addTask({ name: "signal-outbox", run: (ctx) => outbox.run(ctx) });
  if (repair !== undefined)
    for (const task of repair.tasks(bus, cfg.EXTRACTION_EVENTS_PREFIX)) supervisor.addTask(task);
  const read = kindsRead(strategies);
  supervisor.addTask({
    name: "summary",
    required: false,
    async run(ctx) {
      while (!ctx.signal.aborted) {
        await sleep(cfg.SUMMARY_INTERVAL_S * 1000, ctx.signal);
        const now = Date.now();
        for (const state of states.values()) {
          if (now - state.lastEventAt > cfg.STALE_SYMBOL_S * 1000) {
            log.warn("no market data for symbol", {
              symbol: state.symbol,
              silentForS: state.lastEventAt ? Math.round((now - state.lastEventAt) / 1000) : "never",
            });
            continue;
          }
          for (const silent of silentKinds(state, read, now, cfg.STALE_SYMBOL_S * 1000))
            log.warn("no market data of a kind strategies read, while other kinds come", {
              symbol: state.symbol,
              ...silent,
            });
        }
        const warm = Object.fromEntries(
          strategies.map((s) => [
            s.name,
            [...states.values()].filter((st) => evaluator.isWarm(s, st)).length,
          ]),
        );
        log.info("strategies summary", {
          symbols: symbols.length,
          messagesPerKind: { ...perKind },
          strategiesEvaluated: evaluator.counts.evaluated,
          signalsGenerated: evaluator.counts.generated,
          booksRefused: evaluator.counts.booksRefused,
          olderCandlesIgnored: evaluator.counts.olderCandles,
          signalsForwarded: outbox.counts.forwarded,
          signalsDuplicate: outbox.counts.duplicates,
          signalsRejected: outbox.counts.rejected,
          signalsDropped: outbox.counts.dropped,
          outboxQueued: outbox.size,
          warmSymbolsPerStrategy: warm,
        });
        for (const k of Object.keys(perKind)) perKind[k] = 0;
        ctx.progress();
      }
    },
  });
  supervisor.addDependency({ name: "nats", isReady: () => bus.isConnected() });
  supervisor.addDetail("symbols", () => symbols);
  supervisor.addDetail("strategies", () => strategies.map((s) => s.name));
  supervisor.addDetail("warm", () =>
    Object.fromEntries(
      strategies.map((s) => [
        s.name,
        [...states.values()].filter((st) => evaluator.isWarm(s, st)).map((st) => st.symbol),
      ]),
    ),
  );
  supervisor.onShutdown({ name: "nats-drain", run: () => bus.drain() });
  await supervisor.start();
  if (symbols.length === 0)
    // Symbols are spread by a hash of their name: a few over several shards can leave one with none.
    log.warn("this shard owns no symbol: it evaluates nothing", {
      shard: `${cfg.SHARD_INDEX}/${cfg.SHARD_COUNT}`,
      symbols: cfg.SYMBOLS,
      shards: Object.fromEntries(
        Array.from({ length: cfg.SHARD_COUNT }, (_, i) => [i, shardSymbols(cfg.SYMBOLS, i, cfg.SHARD_COUNT)]),
      ),
    });
  log.info("realtime strategies started", {
    symbols,
    shard: `${cfg.SHARD_INDEX}/${cfg.SHARD_COUNT}`,
    strategies: strategies.map((s) => s.name),
    // What each strategy runs with, defaults filled in: an override is seen taken.
    params: cfg.STRATEGY_PARAMS,
    cooldownSeconds: cfg.COOLDOWN_SECONDS,
  });
  return { supervisor, evaluator, outbox, states, stop: (reason: string) => supervisor.stop(reason) };
}
