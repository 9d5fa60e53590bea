import type { Logger } from "@tradewire/logger";
import type { Kline, MarketData, TradingSignalInput } from "@tradewire/schemas";
import type { Strategy, Trigger } from "./strategies/types.js";
import { isCandidate } from "./strategies/types.js";
import type { SymbolState } from "./symbol-state.js";

export interface EvaluatorOptions {
  strategies: readonly Strategy[];
  cooldownMs: number;
  log: Logger;
  /** Receives each generated signal (already GENERATED-logged). */
  emit(signal: TradingSignalInput): void;
  onEvaluated?(strategy: string, seconds: number): void;
  /** A hole in a symbol's live 1m candles: its candle indicators started afresh (said at warn). */
  onHole?(state: SymbolState, missing: number): void;
}

const SOURCE = "tradewire-realtime-strategies";

/**
 * Routes each market event into its symbol's state, then runs the strategies it triggers.
 * A strategy is never evaluated on unwarmed indicators (F40): it is skipped and said so once.
 * Candle strategies only see closed candles (F42); one signal per strategy, symbol and
 * candle (or cooldown bucket for tick strategies), with a cooldown per strategy and symbol.
 * A hole in the 1m candles (a feed outage) restarts the candle indicators after it: never
 * evaluated on a series that spans one.
 */
export class Evaluator {
  private readonly lastSignal = new Map<string, number>();
  private readonly reportedCold = new Set<string>();
  private readonly saidUnused = new Set<string>();
  private readonly saidOlder = new Set<string>();
  readonly counts = {
    evaluated: 0,
    generated: 0,
    skippedCold: 0,
    booksRefused: 0,
    holes: 0,
    olderCandles: 0,
  };

  constructor(private readonly opts: EvaluatorOptions) {}

  onMarketData(state: SymbolState, m: MarketData, now: number): void {
    state.lastEventAt = now;
    state.lastKindAt.set(m.kind, now);
    switch (m.kind) {
      case "depth20":
        // Book strategies read the skew and spread of the book taken last: a refused one is not it.
        if (!state.onDepth(m.bids, m.asks)) {
          this.counts.booksRefused += 1;
          break;
        }
        this.run("depth", state, now, Math.floor(m.eventTime / Math.max(1, this.opts.cooldownMs)));
        break;
      case "trade":
        state.onTrade(m.tradeTime, Number(m.price), Number(m.quantity), !m.buyerIsMaker);
        this.run("trade", state, now, Math.floor(m.eventTime / Math.max(1, this.opts.cooldownMs)));
        break;
      case "kline":
        this.onKline(state, m, now);
        break;
      case "bookTicker":
        break;
    }
  }

  /** Candle strategies run on closed 1m klines only, each taken once and in order. */
  private onKline(state: SymbolState, m: Kline, now: number): void {
    if (m.interval !== "1m") {
      this.unusedInterval(state, m.interval);
      return;
    }
    if (!m.isClosed) return;
    const last = state.lastCandle?.openTime;
    if (last !== undefined && m.openTime <= last) {
      this.olderCandle(state, m.openTime, last);
      return;
    }
    this.onClosedCandle(state, m);
    this.run("candle", state, now, m.openTime);
  }

  /**
   * F41: klines of an interval the candle strategies do not read (a feed or replay of 5m candles)
   * would leave them cold without a word: said once per symbol and interval while one is enabled.
   */
  private unusedInterval(state: SymbolState, interval: string): void {
    const key = `${state.symbol}|${interval}`;
    if (this.saidUnused.has(key) || !this.opts.strategies.some((s) => s.trigger === "candle")) return;
    this.saidUnused.add(key);
    this.opts.log.warn(
      "klines of an interval no strategy reads: candle strategies take closed 1m klines only",
      {
        symbol: state.symbol,
        interval,
      },
    );
  }

  /**
   * A closed candle opening before the last taken (a replay that loops, a feed gone back in time)
   * is not taken: said once per symbol, then counted. One at the same open time is the same candle
   * again (two relays during a handover) and is only skipped.
   */
  private olderCandle(state: SymbolState, openTime: number, lastOpen: number): void {
    if (openTime === lastOpen) return;
    this.counts.olderCandles += 1;
    if (this.saidOlder.has(state.symbol)) return;
    this.saidOlder.add(state.symbol);
    this.opts.log.warn("closed 1m kline older than the last taken: not taken (the feed went back in time)", {
      symbol: state.symbol,
      openTime: new Date(openTime).toISOString(),
      lastTaken: new Date(lastOpen).toISOString(),
    });
  }

  private onClosedCandle(state: SymbolState, m: Kline): void {
    const after = state.lastCandle?.openTime;
    const missing = state.onClosedCandle({
      openTime: m.openTime,
      open: Number(m.open),
      high: Number(m.high),
      low: Number(m.low),
      close: Number(m.close),
      volume: Number(m.volume),
    });
    if (missing === 0) return;
    this.counts.holes += 1;
    this.opts.log.warn("1m candles missing: candle indicators start afresh after the hole", {
      symbol: state.symbol,
      missing,
      after: after === undefined ? undefined : new Date(after).toISOString(),
      resumed: new Date(m.openTime).toISOString(),
    });
    this.opts.onHole?.(state, missing);
  }

  isWarm(strategy: Strategy, state: SymbolState): boolean {
    return strategy.notWarm(state) === undefined;
  }

  private run(trigger: Trigger, state: SymbolState, now: number, bucket: number): void {
    for (const strategy of this.opts.strategies) {
      if (strategy.trigger !== trigger) continue;
      const key = `${strategy.name}|${state.symbol}`;
      const cold = strategy.notWarm(state);
      if (cold !== undefined) {
        this.counts.skippedCold += 1;
        if (!this.reportedCold.has(key)) {
          this.reportedCold.add(key);
          this.opts.log.info("strategy not warm; not evaluating", {
            strategy: strategy.name,
            symbol: state.symbol,
            reason: cold,
          });
        }
        continue;
      }
      if (this.reportedCold.delete(key))
        this.opts.log.info("strategy warm; evaluating", { strategy: strategy.name, symbol: state.symbol });
      const started = performance.now();
      const result = strategy.evaluate(state, now);
      this.counts.evaluated += 1;
      this.opts.onEvaluated?.(strategy.name, (performance.now() - started) / 1000);
      if (!isCandidate(result)) continue;
      const last = this.lastSignal.get(key);
      if (last !== undefined && now - last < this.opts.cooldownMs) continue;
      this.lastSignal.set(key, now);
      this.counts.generated += 1;
      const price = priceFor(trigger, state);
      const atr = state.atr.isReady ? state.atr.value : Number.NaN;
      const dir = result.action === "buy" ? 1 : -1;
      const stops =
        Number.isFinite(atr) && atr > 0
          ? { stop_loss: round(price - dir * 2 * atr), take_profit: round(price + dir * 3 * atr) }
          : { stop_loss_pct: 0.01, take_profit_pct: 0.015 };
      const signal: TradingSignalInput = {
        signal_id: `${strategy.name}-${state.symbol}-${bucket}`,
        strategy_id: strategy.name,
        symbol: state.symbol,
        action: result.action,
        confidence: round(result.confidence, 4),
        price: round(price),
        current_price: round(price),
        timeframe: strategy.timeframe,
        ...stops,
        timestamp: Date.now(),
        source: SOURCE,
        indicators: Object.fromEntries(
          Object.entries(result.indicators).map(([k, v]) => [k, Number.isFinite(v) ? round(v, 6) : null]),
        ),
      };
      this.opts.log.info("GENERATED", {
        stage: "GENERATED",
        signalId: signal.signal_id,
        strategy: strategy.name,
        symbol: state.symbol,
        action: result.action,
        confidence: signal.confidence,
      });
      this.opts.emit(signal);
    }
  }
}

function round(value: number, digits = 8): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * What a signal is priced at: the closed candle's close, the trade's price, the book's mid; each
 * from the data that triggered it, never another kind's, which may have gone silent long ago.
 */
function priceFor(trigger: Trigger, state: SymbolState): number {
  if (trigger === "candle" && state.lastCandle !== undefined) return state.lastCandle.close;
  if (trigger === "trade") return state.lastTradePrice;
  return (state.bid + state.ask) / 2;
}
