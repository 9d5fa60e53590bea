import { readFileSync } from "node:fs";
import { parseExchangeFilters, type SymbolFilters } from "@tradewire/binance";
import {
  Bus,
  type DurableBatchConsumerOptions,
  type DurableMessage,
  STREAMS,
  ThrottledLog,
} from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { KillSwitchCommand, MarketData, subjects, TradeIntent, TradingSignal } from "@tradewire/schemas";
import { Doorbell, PingWatch, Supervisor, sleep } from "@tradewire/supervisor";
import type { z } from "zod";
import { AccountEquity } from "./account-equity.js";
import type { Config } from "./config.js";
import { type Incoming, TradeEngine } from "./engine.js";
import { createAdapter } from "./execution/create-adapter.js";
import { Reconciler } from "./execution/reconcile.js";
import { AccountNotTradable } from "./execution/venue.js";
import { registerRoutes } from "./http-api.js";
import { createEngineMetrics } from "./metrics.js";
import { OrderLooks } from "./order-looks.js";
import { waitForPrices } from "./price-warmup.js";
import { PriceBook } from "./prices.js";
import { fromIntent, fromSignal, type OrderRequest } from "./request.js";
import { DeliveryFailures, settleAll } from "./settle.js";
import { EngineStore } from "./store.js";
import { StreamWatch } from "./stream-watch.js";
import { followUserStream } from "./user-stream-task.js";

const incoming = (req: OrderRequest): Incoming => ({ req, receivedAt: Date.now() });

/** How often the kill switch is compared with the stored state and the control stream. */
const KILL_SWITCH_SYNC_MS = 2_000;

export const SIGNALS_DURABLE = "trade-engine-signals";
export const INTENTS_DURABLE = "trade-engine-intents";

/** The exchange's trading rules from an exchangeInfo file; undefined means paper stand-ins. */
function loadExchangeFilters(file: string, log: Logger): Map<string, SymbolFilters> | undefined {
  if (file === "") {
    log.info("no EXCHANGE_INFO_FILE: sizing uses paper stand-ins (step by price, MIN_NOTIONAL)");
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`EXCHANGE_INFO_FILE=${file}: cannot read it as JSON`, { cause: error });
  }
  const filters = parseExchangeFilters(json);
  log.info("exchange filters loaded", { file, symbols: [...filters.keys()] });
  return filters;
}

/** Wires the engine: PostgreSQL, NATS streams and consumers, prices, kill switch and HTTP API. */
export async function startEngine(cfg: Config, logger: Logger, opts: { handleSignals?: boolean } = {}) {
  const supervisor = Supervisor.forService("trade-engine", logger, cfg, opts);
  const log = logger.child({ component: "engine" });
  const exchangeFilters = loadExchangeFilters(cfg.EXCHANGE_INFO_FILE, log);
  const { adapter, account, userStream, exchangePause } = createAdapter(cfg, log, exchangeFilters);
  if (account !== undefined) {
    // Before anything connects: an account that cannot trade as configured refuses the start.
    await account.preflight().catch((error: unknown) => {
      if (error instanceof AccountNotTradable) throw error;
      throw new Error(
        `cannot check the ${cfg.BINANCE_MARKET} account on ${cfg.BINANCE_HTTP_BASE} before trading`,
        {
          cause: error,
        },
      );
    });
    log.info("exchange account checked: it can trade as configured", { market: cfg.BINANCE_MARKET });
  }
  const store = EngineStore.connect(cfg.DATABASE_URL, log, cfg.CLAIM_LEASE_SECONDS);
  await store.migrate();
  // A database that hangs with its connections open (a failover, a partition) gives no error: every
  // decision, fill and exit waits on it until TCP gives up, many minutes later.
  const dbAnswers = new PingWatch({
    name: "postgres",
    ping: () => store.ping(),
    closed: () => store.pool.ending,
    logger: log,
    silentMessage: "postgres not answering pings: decisions, fills and exits wait until it answers",
    answeringMessage: "postgres answering again",
  });
  /** What holds the engine's work back that a restart of its tasks would not help. */
  const heldBack = () => dbAnswers.silence() ?? exchangePause?.();
  const bus = await Bus.connect({
    servers: cfg.NATS_URL,
    name: "trade-engine",
    logger,
    namespace: cfg.TRADEWIRE_NAMESPACE,
  });
  for (const stream of [
    STREAMS.signals,
    STREAMS.intents,
    STREAMS.orders,
    STREAMS.deadLetters,
    STREAMS.control,
  ])
    await bus.ensureStream(stream);

  const metrics = createEngineMetrics(supervisor.metrics);
  const refusedQuotes = new ThrottledLog(log.child({ component: "prices" }), 10_000);
  const prices = new PriceBook((quote) => {
    metrics.quotesRefused.inc({ symbol: quote.symbol, reason: quote.reason });
    refusedQuotes.warn("quote refused: not a market, the previous quote is kept", { ...quote });
  });
  const streamWatch = userStream === undefined ? undefined : new StreamWatch(cfg.USER_STREAM_EXPECT_MS);
  const accountEquity =
    account &&
    new AccountEquity({
      read: () => account.worth(),
      usdAssets: cfg.USD_QUOTE_ASSETS,
      mid: (symbol, at) => prices.freshMid(symbol, cfg.PRICE_MAX_AGE_MS, at),
      maxAgeMs: 3 * cfg.ACCOUNT_EQUITY_REFRESH_S * 1000,
      log,
    });
  const engine = new TradeEngine({
    cfg,
    bus,
    store,
    prices,
    log,
    metrics,
    adapter,
    exchangeFilters,
    ...(streamWatch === undefined ? {} : { onExchangeOrder: (id: string) => streamWatch.expect(id) }),
    ...(accountEquity === undefined ? {} : { accountEquity }),
  });
  await engine.load();
  // Before any consumer binds, so a backlog sized by position_size_pct finds the equity read (F40).
  await accountEquity?.refresh().catch((error: unknown) =>
    log.error("account read failed at start: position_size_pct is refused until a read goes through", {
      err: error,
    }),
  );
  // A kill switch command sent while no engine listened is kept by the control stream. One that
  // does not fit its schema is said (at start, then every ten minutes at most while it is the last)
  // and skipped: it must not keep the engine from starting.
  const unreadable = new ThrottledLog(log, 600_000);
  const lastKept = () =>
    bus.lastStored(STREAMS.control, subjects.killSwitch(), KillSwitchCommand).catch((error: unknown) => {
      unreadable.error("the last kill switch command kept on the control stream is unreadable; not applied", {
        err: error,
      });
      return undefined;
    });
  const missed = await lastKept();
  if (missed !== undefined) await engine.catchUpKillSwitch(missed.data, missed.storedAtMs);
  // Both consumers bind once the price feed is warm (F40), so a backlog waiting at start is not
  // rejected for want of a quote that was a moment away. Started once; a restarted task does not wait.
  let warmup: Promise<void> | undefined;
  let warm = false;
  const pricesWarm = (signal: AbortSignal) => {
    warmup ??= waitForPrices(prices, {
      symbols: cfg.SYMBOL_WHITELIST,
      timeoutMs: cfg.PRICE_WARMUP_MS,
      log,
      signal,
    }).then(() => {
      warm = true;
    });
    return warmup;
  };
  // Not ready while the consumers wait for it.
  supervisor.addDependency({ name: "price-warmup", isReady: () => warm });
  // An idle consumer is shown alive by the server's beats, so they come well within the deadline.
  const consumerStallMs = cfg.CONSUMER_STALL_S * 1_000;
  const idleHeartbeatMs = Math.min(5_000, consumerStallMs / 4);

  /**
   * One durable consumer deciding what it reads: bound once the price feed is warm, stalled when its
   * decisions stop moving, each message settled by its outcome with its own failures counted.
   */
  const consumer = <S extends z.ZodType>(
    name: string,
    binding: Pick<
      DurableBatchConsumerOptions<S>,
      "stream" | "durable" | "filterSubject" | "schema" | "schemaName"
    >,
    toRequest: (m: DurableMessage<z.output<S>>) => OrderRequest,
  ) => {
    const failures = new DeliveryFailures();
    supervisor.addTask({
      name,
      stallTimeoutMs: consumerStallMs,
      // Orders wait out an exchange pause that ends before their signal is stale, and decisions a
      // database that hangs: neither is a stall a restart would help.
      pausedBy: heldBack,
      run: async (ctx) => {
        await pricesWarm(ctx.signal);
        return bus.runDurableBatchConsumer(
          {
            ...binding,
            idleHeartbeatMs,
            batchHandler: async (ms, alive) => {
              await engine.handleBatch(
                ms.map((m) => incoming(toRequest(m))),
                (outcomes) => settleAll(ms, outcomes, failures, log, cfg.MAX_DELIVERIES),
                alive,
                ctx.signal,
              );
            },
          },
          ctx,
        );
      },
    });
  };
  // No filter: one consumer covers signals.trading and signals.trading.> (F10).
  consumer(
    "signal-consumer",
    { stream: STREAMS.signals, durable: SIGNALS_DURABLE, schema: TradingSignal, schemaName: "TradingSignal" },
    (m) => fromSignal(m.data),
  );
  consumer(
    "intent-consumer",
    {
      stream: STREAMS.intents,
      durable: INTENTS_DURABLE,
      filterSubject: subjects.tradeIntent(),
      schema: TradeIntent,
      schemaName: "TradeIntent",
    },
    (m) => fromIntent(m.data, m.publishedAtMs),
  );
  supervisor.addTask({
    name: "prices",
    run: (ctx) =>
      bus.runSubscription(
        {
          subject: subjects.marketDataAll(),
          schema: MarketData,
          schemaName: "MarketData",
          handler: (m) => prices.update(m.data, m.receivedAt),
        },
        ctx,
      ),
  });
  supervisor.addTask({
    name: "kill-switch",
    run: (ctx) =>
      bus.runSubscription(
        {
          subject: subjects.killSwitch(),
          schema: KillSwitchCommand,
          schemaName: "KillSwitchCommand",
          handler: (m) => engine.applyKillSwitchCommand(m.data),
        },
        ctx,
      ),
  });
  registerRoutes(supervisor, engine, store, prices, log, (command) => {
    try {
      if (!bus.publish(subjects.killSwitch(), KillSwitchCommand, command))
        throw new Error("NATS is disconnected");
    } catch (error) {
      log.error("kill switch not sent to the other replicas: it holds here only", { err: error });
    }
  });
  supervisor.addTask({
    name: "protections",
    stallTimeoutMs: 30_000,
    pausedBy: heldBack,
    async run(ctx) {
      // Stop-loss / take-profit are watched on the engine's own price feed (paper, and as soft
      // stops on testnet/live), and so are resting paper LIMIT orders; a failure is logged and
      // tried again on the next tick.
      // A failure that lasts (the database down) is said every 10 s with how often, not 5 times a second.
      const fillErrors = new ThrottledLog(log, 10_000);
      const exitErrors = new ThrottledLog(log, 10_000);
      while (!ctx.signal.aborted) {
        await engine
          .fillRestingOrders()
          .catch((error: unknown) => fillErrors.error("resting order fill failed; retrying", { err: error }));
        await engine
          .checkProtections()
          .catch((error: unknown) => exitErrors.error("protection exit failed; retrying", { err: error }));
        ctx.progress();
        await sleep(cfg.PROTECTION_CHECK_MS, ctx.signal);
      }
    },
  });
  /**
   * A task that runs `poll` now (or first after `ms`, with `waitFirst`) and then every `ms`, or
   * sooner when `bell` rings; a failed round is logged and tried again next time.
   */
  const polling = (
    name: string,
    ms: number,
    what: string,
    poll: () => Promise<void>,
    {
      bell = new Doorbell(),
      waitFirst = false,
    }: { bell?: { wait(ms: number, signal: AbortSignal): Promise<unknown> }; waitFirst?: boolean } = {},
  ) =>
    supervisor.addTask({
      name,
      stallTimeoutMs: ms + 60_000,
      pausedBy: heldBack,
      async run(ctx) {
        if (waitFirst) await bell.wait(ms, ctx.signal);
        while (!ctx.signal.aborted) {
          await poll().catch((error: unknown) => log.error(`${what} failed`, { err: error }));
          ctx.progress();
          await bell.wait(ms, ctx.signal);
        }
      },
    });
  const polls = { orders: new OrderLooks(cfg.ORDER_POLL_MS), protections: new Doorbell() };
  // From the start (a crashed run's leftovers), then every OUTBOX_SWEEP_MS: the rows stay until
  // their events are out. Younger rows may still be on their way (another replica's): left for the
  // next sweep.
  polling("outbox", cfg.OUTBOX_SWEEP_MS, "outbox sweep", () => engine.sweepOutbox(2 * cfg.OUTBOX_SWEEP_MS));
  // Commands missed while NATS was away reach this replica within KILL_SWITCH_SYNC_MS, no restart.
  polling("kill-switch-sync", KILL_SWITCH_SYNC_MS, "kill switch sync", () => engine.syncKillSwitch(lastKept));
  if (account !== undefined) {
    const reconciler = new Reconciler({ account, store, engine, metrics, log, mode: cfg.TRADING_MODE });
    // On start, then every RECONCILE_INTERVAL_S.
    polling("reconcile", cfg.RECONCILE_INTERVAL_S * 1000, "reconciliation", async () => {
      await reconciler.run();
    });
  }
  if (accountEquity !== undefined)
    // Read once already, before the consumers bound.
    polling(
      "account-equity",
      cfg.ACCOUNT_EQUITY_REFRESH_S * 1000,
      "account read",
      () => accountEquity.refresh(),
      {
        waitFirst: true,
      },
    );
  // Exchange-side stop-loss / take-profit: an executed leg is recorded as the position's exit.
  if (adapter.protective !== undefined)
    polling(
      "exchange-protections",
      cfg.PROTECTION_POLL_S * 1000,
      "exchange protection poll",
      async () => {
        await engine.pollExchangeProtections();
      },
      { bell: polls.protections },
    );
  // GTC LIMIT orders working on the exchange: what executed is recorded, an ended one closed.
  if (adapter.resting !== undefined)
    polling(
      "exchange-orders",
      cfg.ORDER_POLL_MS,
      "exchange order poll",
      () => polls.orders.round((only) => engine.pollExchangeOrders(only)),
      { bell: polls.orders },
    );
  if (userStream !== undefined && streamWatch !== undefined)
    followUserStream({
      supervisor,
      source: userStream,
      watch: streamWatch,
      engine,
      metrics,
      log: log.child({ component: "user-stream" }),
      pingIntervalMs: cfg.USER_STREAM_PING_MS,
      polls,
    });
  supervisor.addDependency({ name: "nats", isReady: () => bus.isConnected() });
  // A failed ping throws: /ready says why (`unready`), and the supervisor logs the change.
  supervisor.addDependency({ name: "postgres", isReady: () => store.ping() });
  supervisor.addDependency({ name: "exchange", isReady: () => adapter.isReady() });
  supervisor.addDetail("mode", () => cfg.TRADING_MODE);
  supervisor.addDetail("killSwitch", () => engine.killSwitch);
  // Before the pool closes: rows of events already out would be published again at the next start.
  supervisor.onShutdown({ name: "outbox-flush", run: () => engine.flushOutbox() });
  supervisor.onShutdown({ name: "nats-drain", run: () => bus.drain() });
  supervisor.onShutdown({
    name: "postgres-close",
    run: () => {
      dbAnswers.stop();
      return store.pool.end();
    },
  });
  await supervisor.start();
  log.info("trade engine started", { mode: cfg.TRADING_MODE, ...engine.snapshot() });
  return { supervisor, engine, store, bus, prices, stop: (reason: string) => supervisor.stop(reason) };
}
