import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export function createEngineMetrics(registry: Registry) {
  /** What the daily PnL gauge reads at every scrape (the ledger sets it): the day turns with no fill. */
  const dailyPnlSource = { read: (): number => 0 };
  /** What the equity gauge reads at every scrape (the engine sets it): prices move with no fill. */
  const equitySource = { read: (): number => 0 };
  /** What open positions are under water at their last mid (the ledger sets it). */
  const openLossesSource = { read: (): number => 0 };
  /** Seconds since the exchange account was last read (the engine sets it on testnet/live). */
  const accountReadAgeSource = { read: (): number => Number.NaN };
  return {
    dailyPnlSource,
    openLossesSource,
    equitySource,
    accountReadAgeSource,
    signals: new Counter({
      name: "tradewire_engine_signals_total",
      help: "Signals and intents by outcome",
      labelNames: ["source", "outcome"],
      registers: [registry],
    }),
    decisionSeconds: new Histogram({
      name: "tradewire_engine_decision_seconds",
      help: "From receipt to persisted outcome",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
    orders: new Counter({
      name: "tradewire_engine_orders_total",
      help: "Order events stored, by kind (placed, filled, partial_fill, canceled, rejected): each order's story as orders.<event> tells it",
      labelNames: ["status"],
      registers: [registry],
    }),
    openPositions: new Gauge({
      name: "tradewire_engine_open_positions",
      help: "Open positions",
      registers: [registry],
    }),
    dailyPnl: new Gauge({
      name: "tradewire_engine_daily_realized_pnl",
      help: "Realized PnL today (UTC), quote currency",
      registers: [registry],
      collect() {
        this.set(dailyPnlSource.read());
      },
    }),
    reconciled: new Counter({
      name: "tradewire_engine_reconcile_total",
      help: "Reconciliation findings: tracked, adopted, flagged, canceled (stale own conditional) orders; corrected positions",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    priceMismatch: new Counter({
      name: "tradewire_engine_fill_price_mismatch_total",
      help: "Fills further than MAX_FILL_DEVIATION from the quote the order was sized on",
      registers: [registry],
    }),
    restingOrders: new Gauge({
      name: "tradewire_engine_resting_orders",
      help: "LIMIT orders resting in the paper book, or working on the exchange (testnet/live)",
      registers: [registry],
    }),
    cancelsOwed: new Gauge({
      name: "tradewire_engine_cancels_owed",
      help: "Kill-switch cancels of working exchange orders the exchange has not taken yet (asked again at every poll)",
      registers: [registry],
    }),
    ordersUnknown: new Gauge({
      name: "tradewire_engine_orders_unknown_to_exchange",
      help: "Working exchange orders the exchange answered 'no such order' about at their last lookup (still tracked; alert on > 0)",
      registers: [registry],
    }),
    protections: new Gauge({
      name: "tradewire_engine_protections",
      help: "Positions with stop-loss / take-profit, by who holds the levels (exchange orders or the engine)",
      labelNames: ["held_by"],
      registers: [registry],
    }),
    protectionsUnwatched: new Gauge({
      name: "tradewire_engine_protections_unwatched",
      help: "Positions whose engine-held stop-loss / take-profit have had no fresh quote for twice PRICE_MAX_AGE_MS: not watched (alert on > 0)",
      registers: [registry],
    }),
    userStreamConnected: new Gauge({
      name: "tradewire_engine_user_stream_connected",
      help: "1 while the account's user data stream is subscribed (testnet/live); 0 means polling alone",
      registers: [registry],
    }),
    userStreamEvents: new Counter({
      name: "tradewire_engine_user_stream_events_total",
      help: "Order updates from the user data stream, by the poll they woke (orders, protections, none)",
      labelNames: ["woke"],
      registers: [registry],
    }),
    userStreamSilent: new Counter({
      name: "tradewire_engine_user_stream_silent_total",
      help: "Times the user data stream was connected but did not report an order the exchange took within USER_STREAM_EXPECT_MS (then resubscribed)",
      registers: [registry],
    }),
    feesUnread: new Gauge({
      name: "tradewire_engine_fills_fees_unread",
      help: "Fills of ended exchange orders recorded without their fees, which could not be read (fee 0, PnL without it): reconciliation reads them; alert when it stays > 0",
      registers: [registry],
    }),
    quotesRefused: new Counter({
      name: "tradewire_engine_quotes_refused_total",
      help: "Quotes not taken as prices: a side at 0 or below (not_positive), or a bid at or above the ask (crossed)",
      labelNames: ["symbol", "reason"],
      registers: [registry],
    }),
    outboxRepublished: new Counter({
      name: "tradewire_engine_outbox_republished_total",
      help: "Stored order events published late from the outbox (after a crash or a failed publish)",
      registers: [registry],
    }),
    openLosses: new Gauge({
      name: "tradewire_engine_open_losses",
      help: "What open positions are under water at their last mid (0 or less, gains not counted): the daily loss limit counts it with today's realized PnL",
      registers: [registry],
      collect() {
        this.set(openLossesSource.read());
      },
    }),
    equity: new Gauge({
      name: "tradewire_engine_equity",
      help: "Equity in USD. paper: starting equity + realized + unrealized PnL at the latest mid; testnet/live: the exchange account's, as last read (NaN before)",
      registers: [registry],
      collect() {
        this.set(equitySource.read());
      },
    }),
    accountReadAge: new Gauge({
      name: "tradewire_engine_account_read_age_seconds",
      help: "testnet/live: seconds since the exchange account was last read (what position_size_pct sizes on); NaN in paper and before the first read",
      registers: [registry],
      collect() {
        this.set(accountReadAgeSource.read());
      },
    }),
  };
}
export type EngineMetrics = ReturnType<typeof createEngineMetrics>;
