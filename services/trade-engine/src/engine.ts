import { type SymbolFilters, toDecimal } from "@tradewire/binance";
import type { Bus } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { OrderEvent, type OrderEventKind, type OrderType, subjects } from "@tradewire/schemas";
import { BatchWriter } from "./batch-writer.js";
import type { Config } from "./config.js";
import { type Check, type Decision, decide } from "./decide.js";
import { ExchangeProtection, withoutVenue } from "./exchange-protection.js";
import type { ExecutionAdapter } from "./execution/adapter.js";
import type { VenueExit } from "./execution/venue.js";
import { clientOrderIdFor } from "./ids.js";
import type { EngineMetrics } from "./metrics.js";
import { applyFill, type Position } from "./paper.js";
import type { PriceBook } from "./prices.js";
import { exitRequest, type Protection, protectionFor, triggered } from "./protection.js";
import type { OrderRequest } from "./request.js";
import { crossed, isEntry, marketable, type RestingOrder, restingEntryNotional } from "./resting.js";
import { cancelRestingOrder, fillRestingOrder, loadRestingOrders } from "./resting-store.js";
import type { DecisionStore, EngineStore, FillRecord } from "./store.js";

export { clientOrderIdFor } from "./ids.js";

export interface EngineDeps {
  cfg: Config;
  bus: Bus;
  store: EngineStore;
  prices: PriceBook;
  log: Logger;
  metrics: EngineMetrics;
  adapter: ExecutionAdapter;
  exchangeFilters?: ReadonlyMap<string, SymbolFilters>;
}

/**
 * Where a decision writes: the store (the pool, or a batch's transaction) and its order events
 * (sent now, or once the batch has committed).
 */
interface Unit {
  store: DecisionStore;
  publish(event: OrderEventKind, req: OrderRequest, fields: Record<string, unknown>): Promise<void>;
}

export type Outcome = "done" | "busy";
/** How an executable decision ended: filled now, resting in the paper book, or refused by the venue. */
type Executed = "filled" | "placed" | "rejected";
/** What the fill-recording tail needs to know about the order, however it was filled. */
interface OrderFill {
  side: "BUY" | "SELL";
  /** Ordered quantity: a smaller fill is published as `partial_fill`. */
  quantity: string;
  closing: boolean;
  type: OrderType;
}
export interface Incoming {
  req: OrderRequest;
  receivedAt: number;
}

/** The order's fields in its events. */
function orderFields(
  orderId: string,
  clientOrderId: string,
  o: { side: "BUY" | "SELL"; quantity: string; type: OrderType },
  price?: string,
) {
  return {
    order_id: orderId,
    client_order_id: clientOrderId,
    side: o.side,
    type: o.type,
    quantity: o.quantity,
    ...(price === undefined ? {} : { price }),
  };
}

/** Runs one order request through dedup, the decision pipeline, paper execution and persistence. */
export class TradeEngine {
  private positions = new Map<string, Position>();
  private dailyRealized = 0;
  private readonly lastExecution = new Map<string, number>();
  /** Stop-loss / take-profit per symbol with an open position (persisted). */
  private readonly protections = new Map<string, Protection>();
  /** Exits triggered and not yet settled, so a level is acted on once. */
  private readonly exiting = new Set<string>();
  private readonly exitAttempts = new Map<string, number>();
  /** Signals this replica claimed whose decision threw before it was persisted. */
  private readonly failedClaims = new Set<string>();
  /** Paper LIMIT orders waiting for the market, by client order id (persisted). */
  private readonly resting = new Map<string, RestingOrder>();
  killSwitch = false;
  /** A rolled-back batch left the in-memory state ahead of the database and reloading it failed. */
  private dirty = false;
  /** Decisions read and change the risk state: one at a time, whichever consumer or task asks. */
  private turn: Promise<unknown> = Promise.resolve();
  private readonly direct: Unit;
  private readonly exchangeProtection: ExchangeProtection;

  constructor(private readonly deps: EngineDeps) {
    this.exchangeProtection = new ExchangeProtection(deps.adapter.protective, deps.log);
    this.direct = {
      store: deps.store,
      publish: (event, req, fields) => this.publishEvent(event, req, fields),
    };
  }

  /** Runs `work` after everything queued before it; its result or error goes to the caller. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work, work);
    // The queue only needs to know it finished; the caller gets the error through `run`.
    this.turn = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async load(): Promise<void> {
    this.positions = await this.deps.store.positions();
    this.dailyRealized = await this.deps.store.dailyRealized();
    this.killSwitch = (await this.deps.store.getState<{ enabled: boolean }>("kill_switch"))?.enabled ?? false;
    this.protections.clear();
    for (const p of await this.deps.store.protections()) this.protections.set(p.symbol, p);
    this.resting.clear();
    for (const o of await loadRestingOrders(this.deps.store)) this.resting.set(o.clientOrderId, o);
    this.refreshGauges();
  }

  /** ON also cancels resting LIMIT entries: nothing placed before it may open a position after it. */
  async setKillSwitch(enabled: boolean, reason: string, actor: string): Promise<void> {
    await this.deps.store.setState("kill_switch", { enabled, reason, actor, at: new Date().toISOString() });
    this.killSwitch = enabled;
    this.deps.log.warn(enabled ? "kill switch ON: new entries rejected, closes allowed" : "kill switch OFF", {
      reason,
      actor,
    });
    if (!enabled) return;
    await this.exclusive(async () => {
      for (const o of [...this.resting.values()])
        if (isEntry(o, this.positionQuantity(o.req.symbol)))
          await this.cancelResting(o, `kill_switch_active: ${reason}`);
    });
  }

  /** Cancels a resting paper LIMIT (HTTP); false when no such order is resting. */
  cancelOrder(clientOrderId: string, reason: string): Promise<boolean> {
    return this.exclusive(async () => {
      const o = this.resting.get(clientOrderId);
      if (o === undefined) return false;
      await this.cancelResting(o, reason);
      return true;
    });
  }

  restingOrders(): RestingOrder[] {
    return [...this.resting.values()];
  }

  /**
   * Fills every resting paper LIMIT the live quote has reached, at its own price with the fee (a
   * maker fill); a quote older than PRICE_MAX_AGE_MS fills nothing.
   */
  fillRestingOrders(now = Date.now()): Promise<void> {
    return this.exclusive(async () => {
      const fresh = (symbol: string) => {
        const q = this.deps.prices.get(symbol);
        return q !== undefined && now - q.at <= this.deps.cfg.PRICE_MAX_AGE_MS ? q : undefined;
      };
      for (const o of crossed(this.resting.values(), fresh)) await this.fillResting(o);
    });
  }

  /**
   * Asks the exchange about every protection it holds: an executed leg is recorded as the
   * position's exit; protection orders that vanished without executing (canceled by hand) are
   * logged and the engine watches the levels again.
   */
  pollExchangeProtections(): Promise<void> {
    return this.exclusive(async () => {
      for (const p of [...this.protections.values()]) {
        if (p.venue === undefined) continue;
        const status = await this.exchangeProtection.status(p);
        if (status.state === "exited") await this.recordExchangeExit(p, status.exit);
        else if (status.state === "gone") {
          this.deps.log.warn(
            "exchange-side protection gone without executing; the engine watches the levels",
            {
              symbol: p.symbol,
              entrySignalId: p.signalId,
              venue: p.venue,
            },
          );
          await this.replaceProtection(withoutVenue(p));
        }
      }
    });
  }

  /** Client ids of the exchange orders guarding positions. */
  protectiveClientIds(): Set<string> {
    return ExchangeProtection.clientIds(this.protections.values());
  }

  private async replaceProtection(p: Protection): Promise<void> {
    await this.deps.store.setProtection(p);
    this.protections.set(p.symbol, p);
  }

  /** A stop-loss or take-profit the exchange executed: stored and published as the position's exit. */
  private async recordExchangeExit(p: Protection, exit: VenueExit): Promise<void> {
    const req = exitRequest(p, exit.reason, Date.now());
    const lifecycle = {
      signalId: req.id,
      source: req.source,
      strategyId: req.strategyId,
      symbol: req.symbol,
    };
    // What executed is neither canceled nor placed again.
    await this.replaceProtection(withoutVenue(p));
    const claim = await this.deps.store.claim(req);
    if (claim.state === "duplicate" || claim.state === "busy") return;
    const side = p.direction === 1 ? ("SELL" as const) : ("BUY" as const);
    const { position, realized } = applyFill(
      this.positions.get(p.symbol) ?? { quantity: 0, avgPrice: 0, realizedPnl: 0 },
      side,
      Number(exit.quantity),
      Number(exit.price),
      Number(exit.fee),
    );
    const detail = `${exit.reason} executed on the exchange (${exit.type} ${exit.clientOrderId})`;
    const stored = await this.deps.store.recordFill(this.fillRecord(req, side, exit, position, realized), [
      { step: "exchange_protection", outcome: "pass", detail },
    ]);
    if (!stored) return;
    this.deps.log.info("PROTECTION_EXECUTED_ON_EXCHANGE", {
      ...lifecycle,
      reason: exit.reason,
      price: exit.price,
    });
    const order = { side, quantity: exit.quantity, closing: true, type: exit.type };
    await this.settleFill(this.direct, req, order, exit, position, realized, lifecycle);
  }

  private positionQuantity(symbol: string): number {
    return this.positions.get(symbol)?.quantity ?? 0;
  }

  /** Sets a position's quantity to what the exchange holds (reconciliation), in memory and stored. */
  correctPosition(symbol: string, quantity: number): Promise<void> {
    return this.exclusive(async () => {
      await this.deps.store.setPositionQuantity(symbol, quantity);
      const current = this.positions.get(symbol) ?? { quantity: 0, avgPrice: 0, realizedPnl: 0 };
      this.positions.set(symbol, { ...current, quantity });
      this.refreshGauges();
    });
  }

  /**
   * Sends a CLOSE through the normal pipeline for every position whose stop-loss or take-profit
   * the market crossed (F25). The exit's id derives from the entry, so it executes once.
   */
  checkProtections(now = Date.now()): Promise<void> {
    return this.exclusive(() => this.checkProtectionsNow(now));
  }

  private async checkProtectionsNow(now: number): Promise<void> {
    for (const p of this.protections.values()) {
      const quote = this.deps.prices.get(p.symbol);
      if (
        p.venue !== undefined ||
        quote === undefined ||
        now - quote.at > this.deps.cfg.PRICE_MAX_AGE_MS ||
        this.exiting.has(p.symbol)
      )
        continue;
      const reason = triggered(p, quote);
      if (reason === undefined) continue;
      this.exiting.add(p.symbol);
      this.deps.log.info("PROTECTION_TRIGGERED", {
        symbol: p.symbol,
        entrySignalId: p.signalId,
        reason,
        triggerPrice: reason === "stop_loss" ? p.stopLoss : p.takeProfit,
        bid: quote.bid,
        ask: quote.ask,
      });
      const attempt = this.exitAttempts.get(p.symbol) ?? 1;
      try {
        await this.handleIn(this.direct, exitRequest(p, reason, now, attempt), now);
      } finally {
        this.exiting.delete(p.symbol);
      }
      if (this.protections.get(p.symbol) === p) {
        // Not closed (rejected, or decided before a restart): the next tick tries a fresh exit id.
        this.exitAttempts.set(p.symbol, attempt + 1);
        this.deps.log.warn("protection exit did not close the position; retrying", {
          symbol: p.symbol,
          reason,
          attempt,
        });
      } else {
        this.exitAttempts.delete(p.symbol);
      }
    }
  }

  snapshot() {
    return {
      positions: Object.fromEntries(this.positions),
      dailyRealizedPnl: this.dailyRealized,
      killSwitch: this.killSwitch,
    };
  }

  /**
   * Resolves "done" once the outcome is persisted (ack), or "busy" when another replica is deciding
   * the same id right now (nak and retry later); throws on transient failure.
   */
  handle(req: OrderRequest, receivedAt: number): Promise<Outcome> {
    return this.exclusive(async () => {
      const failed = this.dirty ? await this.reload() : undefined;
      if (failed) throw failed;
      return this.handleIn(this.direct, req, receivedAt);
    });
  }

  /** Reloads the state from the database; the error if that failed (nothing may be decided then). */
  private async reload(): Promise<Error | undefined> {
    try {
      await this.load();
      this.dirty = false;
      return undefined;
    } catch (error) {
      this.dirty = true;
      const failed = new Error("engine state could not be reloaded from PostgreSQL; deciding nothing", {
        cause: error,
      });
      this.deps.log.error(failed.message, { err: error });
      return failed;
    }
  }

  /**
   * Several requests at once. In paper mode they are decided one after another inside ONE
   * transaction (one commit instead of two per request) and their order events go out after it
   * commits. If anything in the batch fails, nothing of it is kept: the in-memory state is reloaded
   * from the database and the requests are replayed one by one, so a bad one fails alone. On an
   * exchange, each order must be claimed durably before it is sent (F31): requests go one by one.
   * Per request: an Outcome, or the Error it failed with (nak and retry).
   */
  handleBatch(items: readonly Incoming[]): Promise<(Outcome | Error)[]> {
    return this.exclusive(async () => {
      const failed = this.dirty ? await this.reload() : undefined;
      if (failed) return items.map(() => failed);
      if (this.deps.adapter.mode === "paper") {
        const batched = await this.tryBatch(items);
        if (batched !== undefined) return batched;
      }
      const outcomes: (Outcome | Error)[] = [];
      for (const { req, receivedAt } of items) {
        outcomes.push(
          await this.handleIn(this.direct, req, receivedAt).catch((error: unknown) =>
            error instanceof Error ? error : new Error(String(error)),
          ),
        );
      }
      return outcomes;
    });
  }

  /**
   * The transactional batch; undefined when it was rolled back and the state reloaded (the caller
   * replays one by one), or every request's Error when even the reload failed.
   */
  private async tryBatch(items: readonly Incoming[]): Promise<(Outcome | Error)[] | undefined> {
    const events: (() => Promise<void>)[] = [];
    let outcomes: Outcome[];
    try {
      outcomes = await this.deps.store.transaction(async (tx) => {
        const claimed = await tx.claimMany(items.map((i) => i.req));
        const writer = new BatchWriter(tx, claimed, items.length > 1);
        const unit: Unit = {
          store: writer,
          publish: (event, req, fields) => {
            events.push(() => this.publishEvent(event, req, fields));
            return Promise.resolve();
          },
        };
        const done: Outcome[] = [];
        for (const { req, receivedAt } of items) done.push(await this.handleIn(unit, req, receivedAt));
        await writer.flush();
        return done;
      });
    } catch (error) {
      this.deps.log.warn("batch rolled back; reloading state and deciding its requests one by one", {
        requests: items.length,
        err: error,
      });
      const failed = await this.reload();
      return failed && items.map(() => failed);
    }
    // Committed: the events can go out (their msg ids make a retry's repeat a no-op).
    await Promise.all(events.map((send) => send()));
    return outcomes;
  }

  private async handleIn(unit: Unit, req: OrderRequest, receivedAt: number): Promise<Outcome> {
    const { log, metrics } = this.deps;
    const { store } = unit;
    const lifecycle = {
      signalId: req.id,
      source: req.source,
      strategyId: req.strategyId,
      symbol: req.symbol,
      action: req.action,
    };
    const stored = await store.claim(req);
    // A claim this replica holds from an attempt that failed mid-way is resumed here at once,
    // not after the lease: the order may exist, and `resumed` makes the adapter look it up.
    const claim =
      stored.state === "busy" && this.failedClaims.has(req.id) ? { state: "resume" as const } : stored;
    if (claim.state === "duplicate") {
      this.failedClaims.delete(req.id);
      log.info("duplicate signal ignored", { ...lifecycle, status: claim.status });
      metrics.signals.inc({ source: req.source, outcome: "duplicate" });
      return "done";
    }
    if (claim.state === "busy") {
      log.info("signal being decided by another replica; retrying later", lifecycle);
      return "busy";
    }
    try {
      await this.decideAndAct(unit, req, claim.state === "resume", lifecycle);
      this.failedClaims.delete(req.id);
    } catch (error) {
      this.failedClaims.add(req.id);
      throw error;
    }
    metrics.decisionSeconds.observe((Date.now() - receivedAt) / 1000);
    return "done";
  }

  private async decideAndAct(
    unit: Unit,
    req: OrderRequest,
    resumed: boolean,
    lifecycle: Record<string, unknown>,
  ): Promise<void> {
    const { log, metrics, cfg } = this.deps;
    const { store } = unit;
    log.info("RECEIVED", {
      ...lifecycle,
      stage: "RECEIVED",
      confidence: req.confidence,
      resumed,
    });
    const checks: Check[] = [];
    const now = Date.now();
    const quote = this.deps.prices.get(req.symbol);
    const decision = decide(
      req,
      quote,
      {
        positions: this.positions,
        killSwitch: this.killSwitch,
        dailyRealizedPnl: this.dailyRealized,
        lastExecution: this.lastExecution,
        restingEntries: restingEntryNotional(this.resting.values(), (s) => this.positionQuantity(s)),
      },
      cfg,
      now,
      checks,
      this.deps.exchangeFilters,
    );
    let executed: Executed = "rejected";
    switch (decision.kind) {
      case "hold":
        await store.finish(req.id, "HOLD", undefined, checks);
        log.info("HOLD", { ...lifecycle, stage: "HOLD" });
        break;
      case "reject":
        await store.finish(req.id, "REJECTED", decision.reason, checks);
        await unit.publish("rejected", req, {
          rejection_source: decision.source,
          rejection_reason: decision.reason,
        });
        log.info("REJECTED", {
          ...lifecycle,
          stage: "REJECTED",
          step: decision.step,
          reason: decision.reason,
        });
        break;
      case "execute":
        if (!quote) throw new Error("unreachable: execute without a quote");
        executed = await this.execute(unit, req, decision, quote, lifecycle, resumed, checks);
        break;
    }
    metrics.signals.inc({
      source: req.source,
      outcome: decision.kind === "execute" ? executed : decision.kind === "hold" ? "hold" : "rejected",
    });
  }

  /**
   * A fill far from the quote the order was sized on means the price feed and the venue disagree,
   * e.g. mainnet prices against testnet orders (F27): loud at error and counted, every time.
   */
  private checkFillPrice(
    fill: number,
    quoted: number,
    lifecycle: Record<string, unknown>,
    clientOrderId: string,
  ): void {
    const deviation = Math.abs(fill - quoted) / quoted;
    if (!(deviation > this.deps.cfg.MAX_FILL_DEVIATION)) return;
    this.deps.metrics.priceMismatch.inc();
    this.deps.log.error(
      "fill price far from the quote used for sizing: do the price feed and the venue match?",
      {
        ...lifecycle,
        clientOrderId,
        fillPrice: fill,
        quotedPrice: quoted,
        deviation: Math.round(deviation * 10_000) / 10_000,
        maxDeviation: this.deps.cfg.MAX_FILL_DEVIATION,
        mode: this.deps.adapter.mode,
      },
    );
  }

  /** Sets protection for a new or increased position from the request; clears it once flat or flipped. */
  private async updateProtection(
    unit: Unit,
    req: OrderRequest,
    order: OrderFill,
    position: Position,
    fillPrice: number,
    lifecycle: Record<string, unknown>,
  ): Promise<void> {
    const { log } = this.deps;
    const { store } = unit;
    const current = this.protections.get(req.symbol);
    const levels = order.closing ? undefined : protectionFor(req, order.side, fillPrice);
    if (levels !== undefined) {
      // The new levels guard the whole position: the old exchange orders go first.
      if (current !== undefined) await this.releaseOrLog(current, lifecycle);
      const next = await this.exchangeProtection.guard(levels, Math.abs(position.quantity), lifecycle);
      await store.setProtection(next);
      this.protections.set(req.symbol, next);
      log.info("protection set", {
        ...lifecycle,
        stopLoss: next.stopLoss,
        takeProfit: next.takeProfit,
        onExchange: next.venue !== undefined,
      });
    } else if (
      current !== undefined &&
      (position.quantity === 0 || Math.sign(position.quantity) !== current.direction)
    ) {
      await this.releaseOrLog(current, lifecycle);
      await store.clearProtection(req.symbol);
      this.protections.delete(req.symbol);
      log.info("protection cleared", {
        ...lifecycle,
        entrySignalId: current.signalId,
        position: position.quantity,
      });
    }
  }

  /** Cancels a protection's exchange orders; an exit found executed meanwhile is loud, reconciliation settles it. */
  private async releaseOrLog(p: Protection, lifecycle: Record<string, unknown>): Promise<void> {
    const exit = await this.exchangeProtection.release(p, lifecycle);
    if (exit !== undefined)
      this.deps.log.error(
        "exchange-side protection executed while being replaced; reconciliation corrects the position",
        {
          ...lifecycle,
          exit,
        },
      );
  }

  /**
   * Before the engine closes a position its exchange orders guard, they are canceled (on spot they
   * hold the asset). If one executed meanwhile, that was the exit: recorded, and the close is moot.
   */
  private async releaseForClose(req: OrderRequest, lifecycle: Record<string, unknown>) {
    const guard = this.protections.get(req.symbol);
    if (guard?.venue === undefined) return undefined;
    const exit = await this.exchangeProtection.release(guard, lifecycle);
    if (exit === undefined) {
      await this.replaceProtection(withoutVenue(guard));
      return undefined;
    }
    await this.recordExchangeExit(guard, exit);
    return exit;
  }

  /** Submits through the adapter and records the outcome; a LIMIT the market has not reached rests. */
  private async execute(
    unit: Unit,
    req: OrderRequest,
    d: Extract<Decision, { kind: "execute" }>,
    quote: { bid: number; ask: number; at: number },
    lifecycle: Record<string, unknown>,
    resumed: boolean,
    checks: readonly Check[],
  ): Promise<Executed> {
    const { log, metrics, adapter } = this.deps;
    const { store } = unit;
    if (d.limitPrice !== undefined && !marketable(d.side, Number(d.limitPrice), quote))
      return this.rest(unit, req, d, d.limitPrice, lifecycle, checks);
    const clientOrderId = clientOrderIdFor(req.id);
    const exited = d.closing ? await this.releaseForClose(req, lifecycle) : undefined;
    const result = exited
      ? ({
          kind: "rejected",
          reason: `no_position: closed on the exchange by its ${exited.reason} (${exited.clientOrderId})`,
        } as const)
      : await adapter.submitMarket({
          symbol: req.symbol,
          side: d.side,
          quantity: d.quantity,
          clientOrderId,
          quote,
          resumed,
          limitPrice: d.limitPrice,
          reduceOnly: req.action === "CLOSE",
          leverage: req.leverage,
        });
    if (result.kind === "rejected") {
      await store.finish(req.id, "REJECTED", result.reason, [
        ...checks,
        { step: "exchange", outcome: "reject", detail: result.reason },
      ]);
      await unit.publish("rejected", req, {
        client_order_id: clientOrderId,
        side: d.side,
        quantity: d.quantity,
        rejection_source: "exchange",
        rejection_reason: result.reason,
      });
      metrics.orders.inc({ status: "rejected" });
      log.info("REJECTED", {
        ...lifecycle,
        stage: "REJECTED",
        step: "exchange",
        reason: result.reason,
        clientOrderId,
      });
      return "rejected";
    }
    const order: OrderFill = {
      side: d.side,
      quantity: d.quantity,
      closing: d.closing,
      type: d.limitPrice === undefined ? "MARKET" : "LIMIT",
    };
    const fields = orderFields(result.orderId, clientOrderId, order, d.limitPrice);
    // Not awaited here: its ack is awaited with the fill's (same connection, so `placed` is still
    // stored first), saving a round trip. A failure is never dropped: it surfaces at that await,
    // or is logged if the fill's persistence fails first.
    const placed = unit.publish("placed", req, fields);
    placed.catch((error: unknown) =>
      log.error("orders.placed publish failed", { ...lifecycle, clientOrderId, err: error }),
    );
    log.info("ORDER_PLACED", {
      ...lifecycle,
      stage: "ORDER_PLACED",
      clientOrderId,
      orderId: result.orderId,
      side: d.side,
      quantity: d.quantity,
      mode: adapter.mode,
      recovered: result.recovered,
    });
    this.checkFillPrice(Number(result.price), d.refPrice, lifecycle, clientOrderId);
    const { position, realized } = applyFill(
      this.positions.get(req.symbol) ?? { quantity: 0, avgPrice: 0, realizedPnl: 0 },
      d.side,
      Number(result.quantity),
      Number(result.price),
      Number(result.fee),
    );
    const fill = { ...result, clientOrderId };
    const stored = await store.recordFill(this.fillRecord(req, d.side, fill, position, realized), checks);
    if (!stored) {
      // A retry after the fill was persisted but its events may not have gone out: re-publish them
      // from what was stored (the msg ids make a repeat a no-op), never fill twice.
      const recorded = await store.recordedFill(clientOrderId);
      await Promise.all([
        placed,
        recorded &&
          unit.publish("filled", req, {
            ...fields,
            order_id: recorded.orderId,
            price: recorded.price,
            filled_quantity: recorded.quantity,
            avg_price: recorded.price,
            fee: recorded.fee,
            fee_asset: result.feeAsset,
          }),
      ]);
      log.warn("order already recorded for this signal; not filled twice", { ...lifecycle, clientOrderId });
      return "filled";
    }
    await this.settleFill(unit, req, order, fill, position, realized, lifecycle);
    await placed;
    return "filled";
  }

  private fillRecord(
    req: OrderRequest,
    side: "BUY" | "SELL",
    fill: { orderId: string; clientOrderId: string; quantity: string; price: string; fee: string },
    position: Position,
    realized: number,
  ): FillRecord {
    return {
      orderId: fill.orderId,
      clientOrderId: fill.clientOrderId,
      signalId: req.id,
      symbol: req.symbol,
      side,
      quantity: fill.quantity,
      price: fill.price,
      fee: fill.fee,
      mode: this.deps.cfg.TRADING_MODE,
      position,
      realized,
    };
  }

  /** After a fill is stored: memory, protection, cooldown, gauges, the `filled` event and the log line. */
  private async settleFill(
    unit: Unit,
    req: OrderRequest,
    order: OrderFill,
    fill: {
      orderId: string;
      clientOrderId: string;
      quantity: string;
      price: string;
      fee: string;
      feeAsset: string;
    },
    position: Position,
    realized: number,
    lifecycle: Record<string, unknown>,
  ): Promise<void> {
    this.positions.set(req.symbol, position);
    await this.updateProtection(unit, req, order, position, Number(fill.price), lifecycle);
    this.dailyRealized += realized;
    this.lastExecution.set(`${req.strategyId}|${req.symbol}`, Date.now());
    this.deps.metrics.orders.inc({ status: "filled" });
    this.refreshGauges();
    // Compared as numbers: venues write quantities with their own scale ("0.010" vs "0.01000").
    const complete = Number(fill.quantity) >= Number(order.quantity);
    await unit.publish(complete ? "filled" : "partial_fill", req, {
      ...orderFields(fill.orderId, fill.clientOrderId, order),
      price: fill.price,
      filled_quantity: fill.quantity,
      avg_price: fill.price,
      fee: fill.fee,
      fee_asset: fill.feeAsset,
    });
    this.deps.log.info("FILLED", {
      ...lifecycle,
      stage: "FILLED",
      clientOrderId: fill.clientOrderId,
      orderId: fill.orderId,
      type: order.type,
      side: order.side,
      quantity: fill.quantity,
      price: fill.price,
      fee: fill.fee,
      position: position.quantity,
      realizedPnl: position.realizedPnl,
      dailyRealizedPnl: this.dailyRealized,
    });
  }

  /** A paper LIMIT the market has not reached: stored NEW, `placed` published, filled by the book later. */
  private async rest(
    unit: Unit,
    req: OrderRequest,
    d: Extract<Decision, { kind: "execute" }>,
    price: string,
    lifecycle: Record<string, unknown>,
    checks: readonly Check[],
  ): Promise<"placed"> {
    const clientOrderId = clientOrderIdFor(req.id);
    const o: RestingOrder = {
      req,
      orderId: `paper-${clientOrderId.slice(3)}`,
      clientOrderId,
      side: d.side,
      quantity: d.quantity,
      price,
    };
    await unit.store.insertOrder({
      orderId: o.orderId,
      clientOrderId,
      signalId: req.id,
      symbol: req.symbol,
      side: d.side,
      type: "LIMIT",
      quantity: d.quantity,
      price,
      status: "NEW",
      mode: this.deps.cfg.TRADING_MODE,
    });
    const detail = `resting: ${d.side} ${d.quantity} @ ${price}`;
    await unit.store.finish(req.id, "PLACED", undefined, [
      ...checks,
      { step: "book", outcome: "pass", detail },
    ]);
    this.resting.set(clientOrderId, o);
    // Placing counts for the cooldown: a strategy cannot stack limit orders faster than fills.
    this.lastExecution.set(`${req.strategyId}|${req.symbol}`, Date.now());
    this.deps.metrics.orders.inc({ status: "placed" });
    await unit.publish("placed", req, orderFields(o.orderId, clientOrderId, { ...d, type: "LIMIT" }, price));
    this.deps.log.info("ORDER_PLACED", {
      ...lifecycle,
      stage: "ORDER_PLACED",
      clientOrderId,
      orderId: o.orderId,
      type: "LIMIT",
      side: d.side,
      quantity: d.quantity,
      price,
      resting: true,
    });
    return "placed";
  }

  /** A resting LIMIT the quote reached: filled at its price, stored once (even if asked twice). */
  private async fillResting(o: RestingOrder): Promise<void> {
    const { log, cfg } = this.deps;
    const { req } = o;
    const lifecycle = {
      signalId: req.id,
      source: req.source,
      strategyId: req.strategyId,
      symbol: req.symbol,
    };
    const current = this.positions.get(req.symbol) ?? { quantity: 0, avgPrice: 0, realizedPnl: 0 };
    const order: OrderFill = {
      side: o.side,
      quantity: o.quantity,
      closing: !isEntry(o, current.quantity),
      type: "LIMIT",
    };
    const fee = toDecimal(Number(o.quantity) * Number(o.price) * cfg.PAPER_FEE_RATE);
    const { position, realized } = applyFill(
      current,
      o.side,
      Number(o.quantity),
      Number(o.price),
      Number(fee),
    );
    const fill = {
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      quantity: o.quantity,
      price: o.price,
      fee,
    };
    const stored = await fillRestingOrder(
      this.deps.store,
      this.fillRecord(req, o.side, fill, position, realized),
      { step: "fill", outcome: "pass", detail: `limit ${o.price} reached` },
    );
    this.resting.delete(o.clientOrderId);
    if (!stored) {
      log.warn("resting order was no longer open; not filled", {
        ...lifecycle,
        clientOrderId: o.clientOrderId,
      });
      return;
    }
    await this.settleFill(
      this.direct,
      req,
      order,
      { ...fill, feeAsset: "USDT" },
      position,
      realized,
      lifecycle,
    );
  }

  private async cancelResting(o: RestingOrder, reason: string): Promise<void> {
    const canceled = await cancelRestingOrder(this.deps.store, o, reason);
    this.resting.delete(o.clientOrderId);
    if (!canceled) return;
    this.deps.metrics.orders.inc({ status: "canceled" });
    await this.publishEvent("canceled", o.req, {
      ...orderFields(o.orderId, o.clientOrderId, { ...o, type: "LIMIT" }, o.price),
      reason,
    });
    this.deps.log.warn("CANCELED", {
      signalId: o.req.id,
      symbol: o.req.symbol,
      stage: "CANCELED",
      clientOrderId: o.clientOrderId,
      reason,
    });
  }

  private async publishEvent(
    event: OrderEventKind,
    req: OrderRequest,
    fields: Record<string, unknown>,
  ): Promise<void> {
    const clientOrderId = clientOrderIdFor(req.id);
    const value = {
      event,
      event_id: `${clientOrderId}:${event}`,
      // Replaced by the exchange's id once there is one; a rejection before any order keeps this.
      order_id: this.deps.adapter.mode === "paper" ? `paper-${clientOrderId.slice(3)}` : clientOrderId,
      client_order_id: clientOrderId,
      signal_id: req.id,
      strategy_id: req.strategyId,
      symbol: req.symbol,
      side: req.action === "BUY" ? "BUY" : "SELL",
      type: "MARKET",
      quantity: "0",
      mode: this.deps.cfg.TRADING_MODE,
      timestamp: Date.now(),
      ...fields,
    };
    // Validated against OrderEvent by publishDurable before it leaves the process.
    await this.deps.bus.publishDurable(subjects.orderEvent(event), OrderEvent, value as OrderEvent, {
      msgId: value.event_id,
    });
  }

  private refreshGauges(): void {
    const open = [...this.positions.values()].filter((p) => p.quantity !== 0);
    this.deps.metrics.openPositions.set(open.length);
    this.deps.metrics.dailyPnl.set(this.dailyRealized);
    let unrealized = 0;
    let realized = 0;
    for (const [symbol, p] of this.positions) {
      realized += p.realizedPnl;
      const q = this.deps.prices.get(symbol);
      if (q && p.quantity !== 0) unrealized += p.quantity * ((q.bid + q.ask) / 2 - p.avgPrice);
    }
    this.deps.metrics.equity.set(this.deps.cfg.PAPER_EQUITY + realized + unrealized);
  }
}
