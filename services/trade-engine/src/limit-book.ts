import { toDecimal } from "@tradewire/binance";
import type { Check, Decision, Quote } from "./decide.js";
import type { DirectStore } from "./direct-store.js";
import { clientOrderIdFor } from "./ids.js";
import type { EngineParts, Ledger } from "./ledger.js";
import { type OrderFill, orderEvent, orderFields, type Unit } from "./order-events.js";
import { applyFill, opposes } from "./paper.js";
import { cancelResting, placeResting } from "./place-resting.js";
import { lifecycleOf, type OrderRequest } from "./request.js";
import { crossed, isEntry, type RestingOrder, restingEntryNotional } from "./resting.js";
import { loadRestingOrders } from "./resting-store.js";

/**
 * The paper exchange's order book for LIMIT orders the market has not reached: stored NEW, filled
 * at their own price (a maker fill) once a fresh quote reaches them, canceled by the kill switch
 * (entries) or by hand. Persisted, so it survives restarts.
 */
export class PaperLimitBook {
  private readonly resting = new Map<string, RestingOrder>();

  constructor(
    private readonly deps: EngineParts & {
      ledger: Ledger;
      /** Writes at once (the book's own fills and cancels are not part of a batch). */
      direct: Unit & { store: DirectStore };
    },
  ) {}

  async load(): Promise<void> {
    this.resting.clear();
    for (const o of await loadRestingOrders(this.deps.store)) this.resting.set(o.clientOrderId, o);
    this.countResting();
  }

  private countResting(): void {
    this.deps.metrics.restingOrders.set(this.resting.size);
  }

  list(): RestingOrder[] {
    return [...this.resting.values()];
  }

  /** Notional of resting entries per symbol, which the risk limits count as if filled. */
  entriesNotional(): Map<string, number> {
    return restingEntryNotional(this.resting.values(), (s) => this.deps.ledger.positionQuantity(s));
  }

  /** Stores a LIMIT the market has not reached as NEW and publishes `placed`. */
  async rest(
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
      ...(d.closing && req.action !== "CLOSE" ? { reduceOnly: true } : {}),
    };
    await placeResting(this.deps, unit, o, checks, lifecycle, "book");
    this.resting.set(clientOrderId, o);
    this.countResting();
    return "placed";
  }

  /** Fills every resting order a quote younger than PRICE_MAX_AGE_MS has reached. */
  async fillCrossed(now: number): Promise<void> {
    const fresh = (symbol: string): Quote | undefined => {
      const q = this.deps.prices.get(symbol);
      return q !== undefined && now - q.at <= this.deps.cfg.PRICE_MAX_AGE_MS ? q : undefined;
    };
    for (const o of crossed(this.resting.values(), fresh)) await this.fill(o);
  }

  /** Cancels the resting entries (closes stay): nothing placed before the kill switch opens a position after it. */
  async cancelEntries(reason: string): Promise<void> {
    const { ledger } = this.deps;
    for (const o of this.list())
      if (isEntry(o, ledger.positionQuantity(o.req.symbol))) await this.cancel(o, reason);
  }

  /** Whether orders closing `symbol`'s position rest in the book. */
  hasCloses(symbol: string): boolean {
    return this.closesOf(symbol).length > 0;
  }

  /**
   * Cancels the resting orders closing `symbol`'s position, for a newer CLOSE that supersedes
   * them: left resting, they could close a later position. True when any was canceled.
   */
  async supersedeCloses(symbol: string, reason: string): Promise<boolean> {
    const closes = this.closesOf(symbol);
    for (const o of closes) await this.cancel(o, reason);
    return closes.length > 0;
  }

  private closesOf(symbol: string): RestingOrder[] {
    const held = this.deps.ledger.positionQuantity(symbol);
    return this.list().filter((o) => o.req.symbol === symbol && !isEntry(o, held));
  }

  /** False when no such order is resting. */
  async cancelById(clientOrderId: string, reason: string): Promise<boolean> {
    const o = this.resting.get(clientOrderId);
    if (o === undefined) return false;
    await this.cancel(o, reason);
    return true;
  }

  /** At its own price with the fee; stored NEW→FILLED once, so a second attempt changes nothing. */
  private async fill(o: RestingOrder): Promise<void> {
    const { ledger, cfg, log } = this.deps;
    const { req } = o;
    const lifecycle = lifecycleOf(req);
    const current = ledger.position(req.symbol);
    const quantity = this.closeQuantity(o, current.quantity);
    if (quantity === undefined) return this.cancel(o, "no_position: nothing left to close");
    const order: OrderFill = {
      side: o.side,
      quantity: o.quantity,
      closing: !isEntry(o, current.quantity),
      type: "LIMIT",
    };
    const fee = toDecimal(Number(quantity) * Number(o.price) * cfg.PAPER_FEE_RATE);
    const { position, realized } = applyFill(current, o.side, Number(quantity), Number(o.price), Number(fee));
    const fill = {
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      quantity,
      price: o.price,
      fee,
      feeAsset: "USDT",
    };
    const events = [ledger.fillEvent(req, order, fill)];
    // A close clipped to what is still held ends here: its story on the bus ends too, not at partial_fill.
    if (Number(quantity) < Number(o.quantity))
      events.push(
        orderEvent(cfg.TRADING_MODE, "canceled", req, {
          ...orderFields(o.orderId, o.clientOrderId, order, o.price),
          reason: `clipped: ${quantity} of ${o.quantity} executed; the position held no more`,
        }),
      );
    const stored = await this.deps.direct.store.recordRestingFill(
      ledger.fillRecord(req, order, fill, position, realized),
      [{ step: "fill", outcome: "pass", detail: `limit ${o.price} reached` }],
      events,
    );
    this.resting.delete(o.clientOrderId);
    this.countResting();
    if (!stored) {
      log.warn("resting order was no longer open; not filled", {
        ...lifecycle,
        clientOrderId: o.clientOrderId,
      });
      return;
    }
    await ledger.settleFill(this.deps.direct, req, order, fill, position, realized, lifecycle);
  }

  /**
   * What a resting order may fill: all of it, except that a CLOSE, or a BUY/SELL admitted as a
   * reduce, never closes more than is still held (the position may have shrunk since it was
   * placed) and never flips it; undefined when nothing is left to close.
   */
  private closeQuantity(o: RestingOrder, held: number): string | undefined {
    if (o.req.action !== "CLOSE" && o.reduceOnly !== true) return o.quantity;
    if (!opposes(held, o.side)) return undefined;
    return Number(o.quantity) <= Math.abs(held) ? o.quantity : toDecimal(Math.abs(held));
  }

  private async cancel(o: RestingOrder, reason: string): Promise<void> {
    await cancelResting(this.deps, o, reason);
    this.resting.delete(o.clientOrderId);
    this.countResting();
  }
}
