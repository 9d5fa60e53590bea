import type { Logger } from "@tradewire/logger";
import type { Config } from "./config.js";
import { DailyPnl } from "./daily-pnl.js";
import { type ExchangeProtection, withoutVenue } from "./exchange-protection.js";
import type { OtherFee } from "./execution/venue.js";
import type { EngineMetrics } from "./metrics.js";
import {
  type FillIncrement,
  fillEvent,
  type OrderFill,
  type OutgoingOrderEvent,
  type Unit,
  type VenueFill,
} from "./order-events.js";
import { applyFill, type Position, round8, unrealizedLosses } from "./paper.js";
import type { PriceBook } from "./prices.js";
import { levelsAfterFill, type Protection } from "./protection.js";
import type { OrderRequest } from "./request.js";
import type { EngineStore, FillRecord } from "./store.js";

/** What every part of the engine works with. */
export interface EngineParts {
  cfg: Config;
  store: EngineStore;
  prices: PriceBook;
  log: Logger;
  metrics: EngineMetrics;
}

const FLAT: Position = { quantity: 0, avgPrice: 0, realizedPnl: 0 };

/**
 * The engine's books, mirrored in PostgreSQL: positions, today's realized PnL, the last execution
 * per strategy and symbol (cooldowns) and the stop-loss / take-profit per position; and what every
 * fill does to them, however it came about (market order, resting LIMIT, exchange-side exit).
 */
export class Ledger {
  positions = new Map<string, Position>();
  private readonly daily: DailyPnl;
  readonly lastExecution = new Map<string, number>();
  readonly protections = new Map<string, Protection>();

  constructor(
    private readonly deps: EngineParts & {
      exchangeProtection: ExchangeProtection;
      /** The exchange's last price of a pair (testnet/live). */
      exchangePrice?: (pair: string) => Promise<string | undefined>;
      /**
       * Whether an order closing the symbol's position works on the exchange: it is the exit, and
       * (on spot) holds the asset, so the levels stay with the engine meanwhile.
       */
      closeWorking?: (symbol: string) => boolean;
      /** Whether a quantity of the symbol is dust (see `isDust`): not open, nothing to guard. */
      isDust?: (symbol: string, quantity: number, price: number) => boolean;
    },
  ) {
    this.daily = new DailyPnl();
    deps.metrics.dailyPnlSource.read = () => this.daily.value;
    deps.metrics.openLossesSource.read = () => unrealizedLosses(this.positions, (s) => deps.prices.mid(s));
  }

  /** Today's (UTC) realized PnL: what the daily loss limit reads. */
  get dailyRealized(): number {
    return this.daily.value;
  }

  async load(): Promise<void> {
    const { store } = this.deps;
    this.positions = await store.positions();
    this.daily.load(await store.dailyRealized());
    await this.loadCooldowns();
    // Read before the old are dropped: what reads them meanwhile (reconciliation) never finds none.
    const stored = await store.protections();
    this.protections.clear();
    for (const p of stored) this.protections.set(p.symbol, p);
    this.refreshGauges();
  }

  /**
   * The orders the books recorded in the cooldown window count (a restart, an order adopted from the
   * exchange): a cooldown is never cut short, and a later one is kept.
   */
  async loadCooldowns(): Promise<void> {
    const cooldown = this.deps.cfg.COOLDOWN_SECONDS;
    if (cooldown > 0)
      for (const [key, at] of await this.deps.store.recentExecutions(cooldown))
        if (at > (this.lastExecution.get(key) ?? 0)) this.lastExecution.set(key, at);
  }

  /** No position, or only dust the exchange would not trade. */
  isFlat(symbol: string, { quantity, avgPrice }: Pick<Position, "quantity" | "avgPrice">): boolean {
    return quantity === 0 || (this.deps.isDust?.(symbol, quantity, avgPrice) ?? false);
  }

  position(symbol: string): Position {
    return this.positions.get(symbol) ?? FLAT;
  }

  positionQuantity(symbol: string): number {
    return this.positions.get(symbol)?.quantity ?? 0;
  }

  /** The cooldown clock, to put back when a batch's decisions are thrown away (it is not stored). */
  cooldowns(): ReadonlyMap<string, number> {
    return new Map(this.lastExecution);
  }

  restoreCooldowns(saved: ReadonlyMap<string, number>): void {
    this.lastExecution.clear();
    for (const [key, at] of saved) this.lastExecution.set(key, at);
  }

  /** Placing or filling an order starts the strategy's cooldown on the symbol. */
  markExecuted(req: OrderRequest): void {
    this.lastExecution.set(`${req.strategyId}|${req.symbol}`, Date.now());
  }

  /**
   * What a venue fill does to the symbol's position: the buyer holds the executed quantity less a
   * commission paid in the base asset (counted in `fee` too, at the fill's price).
   */
  venueFill(
    req: OrderRequest,
    side: "BUY" | "SELL",
    fill: { quantity: number; price: number; fee: number; baseFee: number },
  ): { position: Position; realized: number } {
    const held = side === "BUY" ? fill.quantity - fill.baseFee : fill.quantity;
    return applyFill(this.position(req.symbol), side, held, fill.price, fill.fee);
  }

  /**
   * Commissions paid in a third asset (BNB) in the quote asset: at the live mid of
   * `<asset><quote>` (no older than PRICE_MAX_AGE_MS), or else at the exchange's last price of it
   * (said at info). One priced neither way is left out of the fee and the PnL, and said at warn
   * with what it was; a failed price lookup never fails the fill it prices.
   */
  async priceOtherFees(
    other: readonly OtherFee[],
    quoteAsset: string,
    lifecycle: Record<string, unknown>,
  ): Promise<number> {
    const { prices, cfg, log } = this.deps;
    let priced = 0;
    for (const { asset, amount } of other) {
      const pair = `${asset}${quoteAsset}`;
      const mid = prices.freshMid(pair, cfg.PRICE_MAX_AGE_MS);
      if (mid !== undefined) {
        priced += amount * mid;
        continue;
      }
      const last = await this.lastExchangePrice(pair, "a commission asset");
      if (last !== undefined) {
        priced += amount * Number(last);
        log.info("commission in another asset priced at the exchange's last price (no live quote)", {
          ...lifecycle,
          asset,
          amount,
          pair,
          price: last,
        });
      } else
        log.warn("commission paid in another asset has no price: not in the fee or the PnL", {
          ...lifecycle,
          asset,
          amount,
          pair,
        });
    }
    return priced;
  }

  fillRecord(
    req: OrderRequest,
    order: Pick<OrderFill, "side" | "type" | "closing">,
    fill: Omit<VenueFill, "feeAsset">,
    position: Position,
    realized: number,
  ): FillRecord {
    const levels = levelsAfterFill(req, order, Number(fill.price), position.quantity);
    return {
      ...(levels === undefined ? {} : { levels }),
      orderId: fill.orderId,
      clientOrderId: fill.clientOrderId,
      signalId: req.id,
      symbol: req.symbol,
      side: order.side,
      type: order.type,
      quantity: fill.quantity,
      price: fill.price,
      fee: fill.fee,
      baseFee: fill.baseFee ?? "0",
      ...(fill.feesUnread === undefined ? {} : { feesUnread: fill.feesUnread }),
      mode: this.deps.cfg.TRADING_MODE,
      position,
      realized,
    };
  }

  /** The fill's order event, stored with the fill. */
  fillEvent(
    req: OrderRequest,
    order: OrderFill,
    fill: VenueFill,
    increment?: FillIncrement,
  ): OutgoingOrderEvent {
    return fillEvent(this.deps.cfg.TRADING_MODE, req, order, fill, increment);
  }

  /** After a fill is stored (with its event): memory, protection, cooldown, gauges and the log line. */
  async settleFill(
    unit: Unit,
    req: OrderRequest,
    order: OrderFill,
    fill: VenueFill,
    position: Position,
    realized: number,
    lifecycle: Record<string, unknown>,
  ): Promise<void> {
    this.positions.set(req.symbol, position);
    await this.updateProtection(unit, req, order, position, Number(fill.price), lifecycle);
    this.daily.add(realized);
    this.markExecuted(req);
    this.refreshGauges();
    unit.log.info("FILLED", {
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
    if (fill.feesUnread !== undefined)
      unit.log.error(
        "fees of the fill could not be read: recorded without them (its PnL leaves them out) until reconciliation reads them",
        { ...lifecycle, orderId: fill.orderId, clientOrderId: fill.clientOrderId, why: fill.feesUnread },
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
    const levels = levelsAfterFill(req, order, fillPrice, position.quantity);
    await this.protectPosition(unit, req.symbol, levels, position, lifecycle);
  }

  /**
   * The position's protection after it changed: `levels` set (a new entry's), or, without them, the
   * current levels cleared once flat or flipped, else resized on the exchange to what is held.
   */
  private async protectPosition(
    unit: Unit,
    symbol: string,
    levels: Protection | undefined,
    position: Position,
    lifecycle: Record<string, unknown>,
  ): Promise<void> {
    const { exchangeProtection } = this.deps;
    const { store, log } = unit;
    const current = this.protections.get(symbol);
    const flatOrFlipped =
      current !== undefined &&
      (this.isFlat(symbol, position) || Math.sign(position.quantity) !== current.direction);
    if (levels === undefined && flatOrFlipped) {
      await this.releaseOrLog(current, lifecycle);
      await store.clearProtection(symbol);
      this.protections.delete(symbol);
      log.info("protection cleared", {
        ...lifecycle,
        entrySignalId: current.signalId,
        position: position.quantity,
      });
      return;
    }
    // New levels from the request, or (exchange-side) the same levels resized: the exchange
    // orders must cover the whole position after an addition or a partial close. Levels left with
    // the engine for good (orders canceled by hand, a market that cannot hold them) stay there.
    const resized = exchangeProtection.enabled && current !== undefined && current.engineOnly !== true;
    const guarded = levels ?? (resized ? current : undefined);
    if (guarded === undefined) return;
    if (current !== undefined) await this.releaseOrLog(current, lifecycle);
    const next = await this.guardWhole(withoutVenue(guarded), Math.abs(position.quantity), lifecycle);
    await store.setProtection(next);
    this.protections.set(symbol, next);
    log.info(levels === undefined ? "protection resized" : "protection set", {
      ...lifecycle,
      stopLoss: next.stopLoss,
      takeProfit: next.takeProfit,
      quantity: Math.abs(position.quantity),
      onExchange: next.venue !== undefined,
    });
  }

  /**
   * The levels as exchange orders for `quantity` (stored with their ids before they are sent), or
   * with the engine while a close works on the symbol.
   */
  private async guardWhole(p: Protection, quantity: number, lifecycle: Record<string, unknown>) {
    const { exchangeProtection, log } = this.deps;
    if (!exchangeProtection.enabled || !this.deps.closeWorking?.(p.symbol))
      // Known (stored and in memory) before they are sent: reconciliation never takes them for
      // someone else's, and a crash right after leaves them followed.
      return exchangeProtection.guard(p, quantity, lifecycle, (q) => this.replaceProtection(q));
    log.info("protection stays with the engine while a close works on the exchange", {
      ...lifecycle,
      quantity,
    });
    return p;
  }

  /**
   * Puts the levels of a position the engine watches back on the exchange, for what is held: the
   * close that held its exit ended short of closing it (canceled, expired, or partly filled), or
   * placing them had failed. True when they are on the exchange now.
   */
  async guardAgain(
    unit: Unit,
    symbol: string,
    lifecycle: Record<string, unknown>,
    why = "the close working on it ended",
  ): Promise<boolean> {
    const current = this.protections.get(symbol);
    const held = Math.abs(this.positionQuantity(symbol));
    if (current === undefined || current.venue !== undefined || held === 0) return false;
    if (!this.deps.exchangeProtection.enabled) return false;
    const next = await this.guardWhole(current, held, lifecycle);
    // Stored either way: a failed placement may have stored the ids it was about to send.
    await unit.store.setProtection(next);
    this.protections.set(symbol, next);
    if (next.venue === undefined) return false;
    this.refreshGauges();
    unit.log.info(`protection back on the exchange: ${why}`, {
      ...lifecycle,
      stopLoss: next.stopLoss,
      takeProfit: next.takeProfit,
      quantity: held,
    });
    return true;
  }

  /** Whether the symbol's levels may go on the exchange now: held, and no close working there holds them. */
  exchangeCanHold(symbol: string): boolean {
    return (
      this.deps.exchangeProtection.enabled &&
      !this.isFlat(symbol, this.position(symbol)) &&
      !(this.deps.closeWorking?.(symbol) ?? false)
    );
  }

  /** Cancels a protection's exchange orders; an exit found executed meanwhile is loud, reconciliation settles it. */
  private async releaseOrLog(p: Protection, lifecycle: Record<string, unknown>): Promise<void> {
    const exit = await this.deps.exchangeProtection.release(p, lifecycle);
    if (exit !== undefined)
      this.deps.log.error(
        "exchange-side protection executed while being replaced; reconciliation corrects the position",
        { ...lifecycle, exit },
      );
  }

  async clearProtection(symbol: string): Promise<void> {
    await this.deps.store.clearProtection(symbol);
    this.protections.delete(symbol);
    this.refreshGauges();
  }

  async replaceProtection(p: Protection): Promise<void> {
    await this.deps.store.setProtection(p);
    this.protections.set(p.symbol, p);
    this.refreshGauges();
  }

  /**
   * Sets a position's quantity to what the exchange holds (reconciliation), in memory and stored.
   * What it no longer holds of its side was closed elsewhere (a liquidation, ADL, a close by hand):
   * that is realized at the mark, into today's PnL, so the daily loss limit counts it. Its levels
   * then follow it as after a fill: cleared once flat or flipped, else resized to what is held.
   * Undefined when an exchange-side exit executed meanwhile (recorded by the next poll instead).
   */
  async correctPosition(
    unit: Unit,
    symbol: string,
    quantity: number,
    mark: number | undefined,
  ): Promise<{ avgPrice: number; realized: number } | undefined> {
    const before = this.position(symbol);
    const lifecycle = { symbol, by: "reconciliation" };
    const guard = this.protections.get(symbol);
    if (guard?.venue !== undefined && closedBy(before, quantity) > 0) {
      // Its exchange orders are taken back first: one that executed since they were polled closed
      // (part of) what this would realize at the mark. It is the exit, with its own price and fee:
      // its orders stay stored, the next poll records it, and the position is compared again then.
      const exit = await this.deps.exchangeProtection.release(guard, lifecycle);
      if (exit !== undefined) {
        this.deps.log.info(
          "reconcile: an exchange-side exit executed meanwhile; recorded as the exit, not corrected",
          {
            ...lifecycle,
            clientOrderId: exit.clientOrderId,
            reason: exit.reason,
          },
        );
        return undefined;
      }
      await this.replaceProtection(withoutVenue(guard));
    }
    // Without a live quote, the exchange's last price: a liquidation's loss must not go uncounted.
    const last =
      mark === undefined ? await this.lastExchangePrice(symbol, "a corrected position") : undefined;
    const price = mark ?? (last === undefined ? undefined : Number(last));
    const avgPrice = correctedAvgPrice(before, quantity, price);
    const realized = correctionRealized(before, quantity, price);
    if (closedBy(before, quantity) > 0 && (price === undefined || before.avgPrice === 0))
      this.deps.log.error("reconcile: what the correction closed has no price; today's PnL misses it", {
        symbol,
        before: before.quantity,
        quantity,
        avgPrice: before.avgPrice,
        price,
      });
    await this.deps.store.correctPosition(symbol, quantity, avgPrice, realized);
    const position = { ...before, quantity, avgPrice, realizedPnl: round8(before.realizedPnl + realized) };
    this.positions.set(symbol, position);
    if (realized !== 0) this.daily.add(realized);
    await this.protectPosition(unit, symbol, undefined, position, lifecycle);
    this.refreshGauges();
    return { avgPrice, realized };
  }

  /** The exchange's last price of a pair (testnet/live); undefined when it cannot be read (said at warn). */
  private lastExchangePrice(pair: string, of: string): Promise<string | undefined> {
    return (this.deps.exchangePrice?.(pair) ?? Promise.resolve(undefined)).catch((error: unknown) => {
      this.deps.log.warn(`the exchange's last price of ${of} could not be read`, { pair, err: error });
      return undefined;
    });
  }

  /** Starting equity plus realized PnL plus unrealized PnL at the latest mid (read at every scrape). */
  equity(): number {
    let pnl = 0;
    for (const [symbol, p] of this.positions) {
      pnl += p.realizedPnl;
      const mid = this.deps.prices.mid(symbol);
      if (mid !== undefined && p.quantity !== 0) pnl += p.quantity * (mid - p.avgPrice);
    }
    return this.deps.cfg.PAPER_EQUITY + pnl;
  }

  refreshGauges(): void {
    const { metrics } = this.deps;
    const open = [...this.positions].filter(([symbol, p]) => !this.isFlat(symbol, p));
    metrics.openPositions.set(open.length);
    const onExchange = [...this.protections.values()].filter((p) => p.venue !== undefined).length;
    metrics.protections.set({ held_by: "exchange" }, onExchange);
    metrics.protections.set({ held_by: "engine" }, this.protections.size - onExchange);
  }
}

/**
 * What a correction realizes: the part of the position's side no longer held, closed at the mark.
 * 0 without a mark or a price of the position's own (the caller says so), or when nothing of the
 * side went.
 */
export function correctionRealized(before: Position, quantity: number, mark: number | undefined): number {
  // A position with no price of its own (found from flat without a mark) has no PnL to realize.
  const closed = closedBy(before, quantity);
  if (mark === undefined || before.avgPrice === 0 || closed === 0) return 0;
  return round8(closed * (mark - before.avgPrice) * Math.sign(before.quantity));
}

/** How much of the position's side a correction to `quantity` takes off (0 when it only grew). */
export function closedBy(before: Pick<Position, "quantity">, quantity: number): number {
  return Math.abs(before.quantity) - keptOf(before, quantity);
}

/** How much of the position's side a correction to `quantity` keeps (its side, up to what it held). */
function keptOf(before: Pick<Position, "quantity">, quantity: number): number {
  const sameSide = before.quantity !== 0 && Math.sign(before.quantity) === Math.sign(quantity);
  return sameSide ? Math.min(Math.abs(before.quantity), Math.abs(quantity)) : 0;
}

/**
 * The average price of a position corrected to what the exchange holds: what it held before keeps
 * its price, what it gained is priced at the mark. Left at 0, a position found from flat would book
 * its whole value as profit when closed, hiding a loss from the daily limit. Without a mark the old
 * price stays (0 from flat), and the caller says so.
 */
export function correctedAvgPrice(before: Position, quantity: number, mark: number | undefined): number {
  if (quantity === 0) return 0;
  const kept = keptOf(before, quantity);
  const gained = Math.abs(quantity) - kept;
  if (gained === 0) return before.avgPrice;
  if (mark === undefined) return kept > 0 ? before.avgPrice : 0;
  return round8((kept * before.avgPrice + gained * mark) / Math.abs(quantity));
}
