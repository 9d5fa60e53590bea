import { compareDecimal, toDecimal } from "@tradewire/binance";
import type { Check, Decision } from "./decide.js";
import type { DirectStore } from "./direct-store.js";
import type { ExchangeOrders } from "./execution/adapter.js";
import { type VenueOrder, WORKING } from "./execution/venue.js";
import type { EngineParts, Ledger } from "./ledger.js";
import type { OrderFill, Unit, VenueFill } from "./order-events.js";
import { cancelResting, placeResting } from "./place-resting.js";
import { lifecycleOf, type OrderRequest } from "./request.js";
import { isEntry, type RestingOrder, restingEntryNotional } from "./resting.js";
import { loadWorkingOrders, type Recorded } from "./resting-store.js";

type Working = RestingOrder & { recorded: Recorded };
/** How often an order the exchange still does not know is said again at error (it is counted all along). */
const UNKNOWN_REPEAT_MS = 5 * 60_000;
/** A working order and what the exchange answered about it. */
interface Seen {
  order: Working;
  now: VenueOrder | undefined;
  /** Set when `now` is what an owed cancel left. */
  cancelReason?: string;
}

/**
 * Orders working on the exchange (testnet/live: GTC LIMITs, and MARKET orders answered NEW): stored
 * NEW when placed, then asked about (`look` or `lookAt`, then `apply` under the decision lock)
 * until they end. What executed since the last look is recorded as one fill (the
 * order PARTIALLY_FILLED, then FILLED) with its `partial_fill` or `filled` event; an order the
 * exchange ended otherwise, or that is canceled here (HTTP, kill switch), ends CANCELED with what
 * executed before kept. Persisted, so a restart picks them up where the database left them.
 */
export class ExchangeOrderBook {
  private readonly working = new Map<string, Working>();
  /** Cancels the kill switch asked for that the exchange did not take yet: asked again at every poll. */
  private readonly cancelsOwed = new Map<string, string>();
  /**
   * Working orders the exchange answered "no such order" about (a testnet reset, keys of another
   * account): when that was first seen, and when it was last said.
   */
  private readonly unknown = new Map<string, { since: number; saidAt: number }>();

  constructor(
    private readonly deps: EngineParts & {
      ledger: Ledger;
      direct: Unit & { store: DirectStore };
      orders: ExchangeOrders;
      /** Another writer recorded a fill this process had not: the in-memory state must be reloaded. */
      stale: (why: string) => void;
    },
  ) {}

  async load(): Promise<void> {
    this.working.clear();
    for (const o of await loadWorkingOrders(this.deps.store)) this.working.set(o.clientOrderId, o);
    // A cancel owed for an order no longer working (ended elsewhere meanwhile) is owed no more.
    for (const id of this.cancelsOwed.keys()) if (!this.working.has(id)) this.cancelsOwed.delete(id);
    for (const id of this.unknown.keys()) if (!this.working.has(id)) this.unknown.delete(id);
    this.count();
  }

  has(clientOrderId: string): boolean {
    return this.working.has(clientOrderId);
  }

  list(): RestingOrder[] {
    return [...this.working.values()];
  }

  /** Notional of what is left of the working entries per symbol, counted by the risk limits as if filled. */
  entriesNotional(): Map<string, number> {
    const left = [...this.working.values()].map((o) => ({ ...o, quantity: remaining(o) }));
    return restingEntryNotional(left, (s) => this.deps.ledger.positionQuantity(s));
  }

  /** A GTC the exchange answered as working: stored NEW, `placed` published, tracked from now on. */
  async rest(
    unit: Unit,
    req: OrderRequest,
    d: Extract<Decision, { kind: "execute" }>,
    placed: { orderId: string; clientOrderId: string; price: string; type: "LIMIT" | "MARKET" },
    lifecycle: Record<string, unknown>,
    checks: readonly Check[],
  ): Promise<"placed"> {
    const o: Working = {
      req,
      orderId: placed.orderId,
      clientOrderId: placed.clientOrderId,
      side: d.side,
      quantity: d.quantity,
      price: placed.price,
      type: placed.type,
      ...(d.closing && req.action !== "CLOSE" ? { reduceOnly: true } : {}),
      recorded: { quantity: "0", quote: 0, fee: 0, baseFee: 0 },
    };
    await placeResting(this.deps, unit, o, checks, lifecycle, "exchange");
    this.working.set(o.clientOrderId, o);
    this.count();
    return "placed";
  }

  /**
   * What changed on the exchange, asked outside the decision lock: one open-orders request per
   * symbol (Binance weighs one order lookup like most of a symbol's open orders), then a lookup
   * of each order that executed more or is no longer open.
   */
  async look(): Promise<{ seen: Seen[]; errors: unknown[] }> {
    const seen: Seen[] = [];
    const errors: unknown[] = [];
    // One symbol (or order) the exchange keeps failing on does not blind the poll to the others:
    // what was seen is applied, and the errors are thrown after.
    for (const symbol of new Set([...this.working.values()].map((o) => o.req.symbol)))
      await this.lookAtSymbol(symbol, seen, errors).catch((error: unknown) => errors.push(error));
    return { seen, errors };
  }

  private async lookAtSymbol(symbol: string, seen: Seen[], errors: unknown[]): Promise<void> {
    const { orders } = this.deps;
    const open = new Map((await orders.openOrders(symbol)).map((o) => [o.clientOrderId, o.executedQty]));
    for (const o of this.working.values()) {
      if (o.req.symbol !== symbol) continue;
      const owed = this.cancelsOwed.get(o.clientOrderId);
      if (owed !== undefined) {
        const ended = await this.tryCancel(o, owed);
        if (ended !== false) seen.push({ order: o, now: ended, cancelReason: owed });
        continue;
      }
      const executed = open.get(o.clientOrderId);
      // Open with nothing new: nothing to ask, unless it was missing (then it is known again).
      if (
        executed !== undefined &&
        compareDecimal(executed, o.recorded.quantity) <= 0 &&
        !this.unknown.has(o.clientOrderId)
      )
        continue;
      try {
        seen.push({ order: o, now: await orders.find(symbol, o.clientOrderId) });
      } catch (error) {
        errors.push(error);
      }
    }
  }

  /**
   * Only the orders the user data stream named: one lookup each, for those tracked as working (an
   * owed cancel waits for the full poll). What names nothing tracked costs no request.
   */
  async lookAt(clientOrderIds: ReadonlySet<string>): Promise<Seen[]> {
    const seen: Seen[] = [];
    for (const id of clientOrderIds) {
      const o = this.working.get(id);
      if (o === undefined || this.cancelsOwed.has(id)) continue;
      seen.push({ order: o, now: await this.deps.orders.find(o.req.symbol, id) });
    }
    return seen;
  }

  /**
   * Records what `look` saw, for the orders still tracked as they were (under the decision lock).
   * Stops at a fill another writer recorded first: the state is stale, and the rest waits for the
   * reload.
   */
  async apply(seen: readonly Seen[]): Promise<void> {
    for (const { order, now, cancelReason } of seen) {
      if (this.working.get(order.clientOrderId) !== order) continue;
      if (!(await this.settle(order, now, cancelReason))) return;
    }
  }

  /**
   * Cancels the working entries (closes stay): nothing placed before the kill switch opens a
   * position after it. One the exchange does not take now is owed: asked again at every poll.
   */
  async cancelEntries(reason: string): Promise<void> {
    const { ledger } = this.deps;
    // Every cancel goes to the exchange first: recording one (its event may wait on NATS) must not
    // hold back the next entry's cancel while it can still fill.
    const asked: [Working, VenueOrder | undefined][] = [];
    for (const o of [...this.working.values()]) {
      if (!isEntry(o, ledger.positionQuantity(o.req.symbol))) continue;
      const ended = await this.tryCancel(o, reason);
      if (ended !== false) asked.push([o, ended]);
    }
    for (const [o, ended] of asked) {
      // One whose end cannot be stored does not keep the others working: the poll settles it later.
      await this.settle(o, ended, reason).catch((error: unknown) => {
        this.deps.log.error("a canceled entry could not be recorded; the order poll records it", {
          ...lifecycleOf(o.req),
          clientOrderId: o.clientOrderId,
          err: error,
        });
        this.deps.stale(`recording the cancel of ${o.clientOrderId} failed`);
      });
    }
  }

  /** Owes a cancel for every working entry (the kill switch is on at start): the next poll asks for them. */
  oweEntryCancels(reason: string): void {
    for (const o of this.working.values())
      if (isEntry(o, this.deps.ledger.positionQuantity(o.req.symbol)))
        this.cancelsOwed.set(o.clientOrderId, reason);
    this.count();
  }

  private oweCancel(o: Working, reason: string): void {
    this.cancelsOwed.set(o.clientOrderId, reason);
    this.count();
  }

  /** The order as its cancel left it; false when the exchange could not be asked (the cancel is owed). */
  private async tryCancel(o: Working, reason: string): Promise<VenueOrder | undefined | false> {
    try {
      return await this.ended(o);
    } catch (error) {
      this.oweCancel(o, reason);
      this.deps.log.error(
        "cancel of a working exchange order failed; asked again at every poll until it goes through",
        {
          ...lifecycleOf(o.req),
          clientOrderId: o.clientOrderId,
          reason,
          err: error,
        },
      );
      return false;
    }
  }

  /** Whether an order closing the position works on `symbol`: it holds the exit (on spot, the asset too). */
  closeWorking(symbol: string): boolean {
    return this.closesOf(symbol).length > 0;
  }

  /** The orders working to close (or reduce) `symbol`'s position, given what is held now. */
  private closesOf(symbol: string): Working[] {
    const held = this.deps.ledger.positionQuantity(symbol);
    return [...this.working.values()].filter((o) => o.req.symbol === symbol && !isEntry(o, held));
  }

  /**
   * Cancels the orders working on the exchange to close `symbol`'s position, for a newer CLOSE
   * that supersedes them: on spot they hold the asset it sells, and left working they could close
   * a later position. What executed of them is recorded first, so the CLOSE is sized on what is
   * left. Throws when the exchange cannot be asked (the CLOSE is tried again), or when a fill of
   * one was recorded by another writer (the state is reloaded first). True when any was canceled.
   */
  async supersedeCloses(symbol: string, reason: string): Promise<boolean> {
    const closes = this.closesOf(symbol);
    for (const o of closes) {
      this.deps.log.info("working close superseded by a newer CLOSE; canceling it on the exchange", {
        ...lifecycleOf(o.req),
        clientOrderId: o.clientOrderId,
        reason,
      });
      const ended = await this.ended(o);
      if (!(await this.settle(o, ended, reason, { superseded: true })))
        throw new Error(
          `a fill of ${o.clientOrderId} was recorded elsewhere; the CLOSE waits for the reload`,
        );
    }
    return closes.length > 0;
  }

  /** Cancels on the exchange; nothing left to cancel means it ended meanwhile, and the lookup says how. */
  private async ended(o: Working): Promise<VenueOrder | undefined> {
    const { orders } = this.deps;
    return (
      (await orders.cancelOrder(o.req.symbol, o.clientOrderId)) ??
      (await orders.find(o.req.symbol, o.clientOrderId))
    );
  }

  /** False when no such order is working, or it filled before the cancel reached it. */
  cancelById(clientOrderId: string, reason: string): Promise<boolean> {
    return this.cancel(this.working.get(clientOrderId), reason);
  }

  /**
   * False when nothing was canceled: no such order, it had filled meanwhile, the exchange does not
   * know it, or it is still working after the cancel.
   */
  private async cancel(o: Working | undefined, reason: string): Promise<boolean> {
    if (o === undefined) return false;
    const ended = await this.ended(o);
    await this.settle(o, ended, reason);
    return ended !== undefined && ended.status !== "FILLED" && !WORKING.has(ended.status);
  }

  /**
   * Records what executed since the last look, then ends the order if the exchange has; a close
   * that ended with the position still open puts its protection back on the exchange, unless a
   * newer CLOSE superseded it. False when a fill of it was recorded by another writer first (the
   * state is stale).
   */
  private async settle(
    o: Working,
    now: VenueOrder | undefined,
    cancelReason?: string,
    { superseded = false } = {},
  ): Promise<boolean> {
    const { log, ledger } = this.deps;
    const lifecycle = { ...lifecycleOf(o.req), clientOrderId: o.clientOrderId, orderId: o.orderId };
    const closing = !isEntry(o, ledger.positionQuantity(o.req.symbol));
    if (now === undefined) {
      // A cancel that found it unknown is owed: should it come back, it is canceled then.
      if (cancelReason !== undefined) this.oweCancel(o, cancelReason);
      this.notKnown(o, lifecycle);
      return true;
    }
    const missing = this.unknown.get(o.clientOrderId);
    if (missing !== undefined) {
      this.unknown.delete(o.clientOrderId);
      this.count();
      log.info("working exchange order found on the exchange again", {
        ...lifecycle,
        status: now.status,
        missingForS: Math.round((Date.now() - missing.since) / 1000),
      });
    }
    if (compareDecimal(now.executedQty, o.recorded.quantity) > 0 && !(await this.recordIncrement(o, now)))
      return false;
    if (WORKING.has(now.status)) {
      if (cancelReason !== undefined) {
        this.oweCancel(o, cancelReason);
        log.warn("exchange order still working after its cancel; asked again at the next poll", {
          ...lifecycle,
          status: now.status,
        });
      }
      return true;
    }
    this.working.delete(o.clientOrderId);
    this.cancelsOwed.delete(o.clientOrderId);
    this.unknown.delete(o.clientOrderId);
    this.count();
    if (now.status !== "FILLED") {
      const reason = cancelReason ?? `exchange_${now.status.toLowerCase()}: the exchange ended the order`;
      await cancelResting(this.deps, o, reason, { orderId: o.orderId, executed: o.recorded.quantity });
    }
    if (closing && !superseded && !this.closeWorking(o.req.symbol))
      await ledger.guardAgain(this.deps.direct, o.req.symbol, lifecycle);
    return true;
  }

  /**
   * The exchange answered this order before and does not know it now: the exchange's or the keys'
   * problem, which no poll can settle. It stays tracked (its notional still counts against the
   * limits) and asked about; it is counted in a gauge, and said at error when first seen and every
   * UNKNOWN_REPEAT_MS while it lasts, rather than at every poll.
   */
  private notKnown(o: Working, lifecycle: Record<string, unknown>): void {
    const at = Date.now();
    const missing = this.unknown.get(o.clientOrderId);
    if (missing !== undefined && at - missing.saidAt < UNKNOWN_REPEAT_MS) return;
    const since = missing?.since ?? at;
    this.unknown.set(o.clientOrderId, { since, saidAt: at });
    this.count();
    this.deps.log.error(
      "working exchange order not found on the exchange; still tracked and counted against the limits, asked again at every poll",
      {
        ...lifecycle,
        missingSince: new Date(since).toISOString(),
        missingForS: Math.round((at - since) / 1000),
      },
    );
  }

  /** One fill for what executed since the last record; false when another writer had recorded it. */
  private async recordIncrement(o: Working, now: VenueOrder): Promise<boolean> {
    const { ledger, direct } = this.deps;
    const { req } = o;
    const executed = Number(now.executedQty);
    const delta = executed - Number(o.recorded.quantity);
    // The exchange gives the average over everything executed: the increment's price is what its
    // quote adds to the quote recorded before; its fee is what the order's fees add likewise.
    const quote = now.avgPrice * executed - o.recorded.quote;
    const price = quote > 0 ? quote / delta : Number(o.price);
    // BNB commissions are priced now, those recorded before at their time: close enough for a fee.
    const paid = now.fee + (await ledger.priceOtherFees(now.otherFees, now.feeAsset, lifecycleOf(req)));
    const fee = Math.max(0, paid - o.recorded.fee);
    const baseFee = Math.max(0, now.baseFee - o.recorded.baseFee);
    const complete = now.status === "FILLED" || compareDecimal(now.executedQty, o.quantity) >= 0;
    const order: OrderFill = {
      side: o.side,
      quantity: o.quantity,
      closing: !isEntry(o, ledger.positionQuantity(req.symbol)),
      type: o.type ?? "LIMIT",
    };
    const fill: VenueFill = {
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      quantity: toDecimal(delta),
      price: toDecimal(price),
      fee: toDecimal(fee),
      feeAsset: now.feeAsset,
      baseFee: toDecimal(baseFee),
      // Unread now, the next increment's fees catch up (they are the order's total so far).
      ...(now.feesUnread === undefined ? {} : { feesUnread: now.feesUnread }),
    };
    const { position, realized } = ledger.venueFill(req, o.side, { quantity: delta, price, fee, baseFee });
    const detail = `exchange executed ${fill.quantity} more @ ${fill.price} (${now.executedQty} of ${o.quantity})`;
    const stored = await direct.store.recordExchangeFill(
      ledger.fillRecord(req, order, fill, position, realized),
      [{ step: "fill", outcome: "pass", detail }],
      { status: complete ? "FILLED" : "PARTIALLY_FILLED", recordedBefore: o.recorded.quantity },
      [ledger.fillEvent(req, order, fill, { complete, executedAfter: now.executedQty })],
    );
    if (!stored) {
      this.deps.stale(`fill of ${o.clientOrderId} recorded elsewhere`);
      return false;
    }
    o.recorded = {
      quantity: now.executedQty,
      quote: o.recorded.quote + quote,
      fee: o.recorded.fee + fee,
      baseFee: o.recorded.baseFee + baseFee,
    };
    await ledger.settleFill(direct, req, order, fill, position, realized, lifecycleOf(req));
    return true;
  }

  private count(): void {
    this.deps.metrics.restingOrders.set(this.working.size);
    this.deps.metrics.cancelsOwed.set(this.cancelsOwed.size);
    this.deps.metrics.ordersUnknown.set(this.unknown.size);
  }
}

/** What is left of an order to execute, as text. */
function remaining(o: Working): string {
  return toDecimal(Number(o.quantity) - Number(o.recorded.quantity));
}
