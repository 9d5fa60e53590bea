import { randomUUID } from "node:crypto";
import {
  BinanceError,
  type FuturesFill,
  type FuturesOrder,
  type FuturesOrders,
  numberToDecimal,
  type SymbolFilters,
  toDecimal,
} from "@tradewire/binance";
import { clientOrderIdFor } from "../ids.js";
import type { Protection } from "../protection.js";
import type { NewOrder } from "./adapter.js";
import {
  type AccountHoldings,
  AccountNotTradable,
  assetsOf,
  commissions,
  type ExchangeAccount,
  exchangeLimit,
  type OpenConditionalOrder,
  type OrderFees,
  OrderTakenUnread,
  type OrderVenue,
  orderAnswer,
  type ProtectionStatus,
  type ProtectiveOrders,
  priceFor,
  quantityFor,
  type VenueExit,
  type VenueOrder,
  type VenueProtection,
} from "./venue.js";

/** USD-M answers a reused client order id with -4116 "ClientOrderId is duplicated." */
const DUPLICATE_CLIENT_ID = -4116;
/** Algo orders that ended without executing. */
const ENDED = new Set(["CANCELED", "EXPIRED", "REJECTED"]);

/** What the Algo Service holds of a protection's legs, short of one that executed. */
type Legs = { state: "open" } | { state: "half" | "gone"; neverPlaced: boolean };

/**
 * Binance USD-M futures: MARKET orders (closes reduce-only, leverage set per symbol before an
 * entry), fees from the order's trades, reduce-only STOP_MARKET / TAKE_PROFIT_MARKET protection
 * on the Algo Service, and signed position amounts for reconciliation.
 */
export class FuturesVenue implements OrderVenue, ProtectiveOrders, ExchangeAccount {
  readonly market = "futures" as const;
  /** Leverage last set per symbol, so it is sent once, not with every order. */
  private readonly leverage = new Map<string, number>();

  constructor(
    private readonly orders: FuturesOrders,
    private readonly filters?: ReadonlyMap<string, SymbolFilters>,
  ) {}

  lastPrice(symbol: string): Promise<string | undefined> {
    return this.orders.lastPrice(symbol);
  }

  async submit(o: NewOrder): Promise<VenueOrder> {
    if (!o.reduceOnly && this.leverage.get(o.symbol) !== o.leverage) {
      await this.orders.setLeverage(o.symbol, o.leverage, { sendBy: o.sendBy });
      this.leverage.set(o.symbol, o.leverage);
    }
    const limit = exchangeLimit(o);
    const placed = await orderAnswer(
      o.clientOrderId,
      limit ? this.orders.newLimitOrder({ ...o, ...limit }) : this.orders.newMarketOrder(o),
    );
    // The exchange has the order now: a failed fee lookup (a 418, a -2015, an answer that does not
    // parse) must not make it a rejection, which would drop its fill and leave it unguarded.
    return this.withFees(placed).catch((error: unknown) => {
      throw new OrderTakenUnread(o.clientOrderId, "its fees", error);
    });
  }

  async find(symbol: string, clientOrderId: string): Promise<VenueOrder | undefined> {
    const o = await this.orders.findByClientId(symbol, clientOrderId);
    return o && this.withFeesIfReadable(o);
  }

  async cancelOrder(symbol: string, clientOrderId: string): Promise<VenueOrder | undefined> {
    const o = await this.orders.cancelByClientId(symbol, clientOrderId);
    return o && this.withFees(o);
  }

  isDuplicate(error: BinanceError): boolean {
    return error.details.binanceCode === DUPLICATE_CLIENT_ID;
  }

  async orderFees(symbol: string, orderId: string): Promise<OrderFees> {
    const trades = await this.orders.fills(symbol, orderId);
    return {
      ...this.commissionsOf(symbol, trades),
      // Rounded to 8 decimals, the finest step: a float sum (0.012 + 0.006) is not the quantity.
      quantity: toDecimal(trades.reduce((s, t) => s + Number(t.qty), 0)),
    };
  }

  /** USD-M order responses carry no fees: they come from the order's trades. */
  private async withFees(o: FuturesOrder): Promise<VenueOrder> {
    return this.asRead(o, Number(o.executedQty) > 0 ? await this.orders.fills(o.symbol, o.orderId) : []);
  }

  /** The order with the fees of its trades. */
  private asRead(o: FuturesOrder, trades: readonly FuturesFill[]): VenueOrder {
    const executed = Number(o.executedQty) > 0;
    return {
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      status: o.status,
      executedQty: o.executedQty,
      avgPrice: executed ? Number(o.avgPrice) : 0,
      ...this.commissionsOf(o.symbol, trades),
    };
  }

  /**
   * An order looked up is one the exchange holds: a fee lookup that cannot succeed (a trades answer
   * that no longer parses fails every time) must not leave what executed unrecorded, and the
   * position it opened unguarded, until reconciliation. It is taken with its fees unread. Any other
   * failure (a timeout, a 5xx, a rate limit or ban) still throws: the lookup is made again.
   */
  private async withFeesIfReadable(o: FuturesOrder): Promise<VenueOrder> {
    try {
      return await this.withFees(o);
    } catch (error) {
      if (!(error instanceof BinanceError && error.code === "INVALID_RESPONSE")) throw error;
      return { ...this.asRead(o, []), feesUnread: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Paid in the margin asset (or BNB), never in the contract: the position is what executed. */
  private commissionsOf(symbol: string, trades: readonly FuturesFill[]) {
    return commissions(trades, { base: "", quote: assetsOf(symbol, this.filters?.get(symbol)).quote });
  }

  async place(p: Protection, quantity: number, beforeSend: (v: VenueProtection) => Promise<void>) {
    const filters = this.filters?.get(p.symbol);
    const side = p.direction === 1 ? ("SELL" as const) : ("BUY" as const);
    const qty = quantityFor(quantity, filters);
    // One id per placement, leg and size. The Algo Service answers an id it has ever seen with
    // -4116, so an id derived from the entry, leg and size alone fails every placement after the
    // first at that size (levels back after a GTC close, a refused placement, a resize back to an
    // old size). The ids are stored before they are sent (`beforeSend`), so an answer lost is still
    // found by them; they need not be derivable again. Hashed: `tw-` and 28 hex, within 36 chars.
    const placement = randomUUID();
    const idOf = (leg: string, level: number | undefined) =>
      level === undefined ? undefined : clientOrderIdFor(`${p.signalId}:protect:${leg}:${qty}:${placement}`);
    const stop = idOf("stop", p.stopLoss);
    const takeProfit = idOf("takeProfit", p.takeProfit);
    const placed: VenueProtection = {
      kind: "conditional",
      ...(stop === undefined ? {} : { stop }),
      ...(takeProfit === undefined ? {} : { takeProfit }),
    };
    await beforeSend(placed);
    const legs = [
      [stop, "STOP_MARKET", p.stopLoss],
      [takeProfit, "TAKE_PROFIT_MARKET", p.takeProfit],
    ] as const;
    try {
      for (const [clientOrderId, kind, level] of legs) {
        if (clientOrderId === undefined || level === undefined) continue;
        await this.orders.newProtectiveOrder({
          symbol: p.symbol,
          side,
          kind,
          stopPrice: priceFor(level, filters),
          quantity: qty,
          clientOrderId,
        });
      }
    } catch (error) {
      // Half a protection is worse than a clear failure: take back every leg, the one whose answer
      // was lost too (it may rest). If that fails as well, both errors travel up.
      await this.cancel(p, placed).catch((cancelError: unknown) => {
        throw new AggregateError(
          [error, cancelError],
          `protective orders for ${p.symbol} failed and taking back ${JSON.stringify(placed)} failed too`,
        );
      });
      throw error;
    }
    return { placed };
  }

  async status(p: Protection, v: VenueProtection): Promise<ProtectionStatus> {
    if (v.kind !== "conditional") throw new Error(`futures protection of kind ${v.kind}`);
    const seen = await this.look(p, v);
    if (seen.state === "exited" || seen.state === "open") return seen;
    if (seen.state === "gone") return gone(seen.neverPlaced);
    // One leg is missing while the other rests: half a protection, a stop maybe missing. The rest
    // is taken back (what executed meanwhile is the exit). A leg that ended (canceled by hand,
    // expired, rejected at its trigger) leaves both levels with the engine; a leg never sent (a
    // crash between the two) has them placed again.
    const after = await this.cancel(p, v);
    return after.state === "exited" ? after : gone(seen.neverPlaced);
  }

  async cancel(p: Protection, v: VenueProtection): Promise<ProtectionStatus> {
    if (v.kind !== "conditional") throw new Error(`futures protection of kind ${v.kind}`);
    for (const [, clientOrderId] of this.legsOf(v)) await this.orders.cancelProtectiveOrder(clientOrderId);
    const after = await this.look(p, v);
    return after.state === "exited" ? after : { state: "gone" };
  }

  /**
   * The legs as they are: one executed (the exit), all resting, some missing beside resting ones
   * (half), or none left. Missing legs were never placed when the Algo Service does not know any
   * of them (-2013): their ids were stored, then the POST never went; a leg it reports ended
   * (CANCELED, EXPIRED, REJECTED) was placed and taken off.
   */
  private async look(
    p: Protection,
    v: VenueProtection & { kind: "conditional" },
  ): Promise<Legs | { state: "exited"; exit: VenueExit }> {
    let open = false;
    let ended = false;
    let unknown = false;
    for (const [reason, clientOrderId] of this.legsOf(v)) {
      const algo = await this.orders.findProtectiveOrder(clientOrderId);
      if (algo === undefined) {
        // The query forgets orders (past 90 days; ended ones sooner) and may lag one just placed:
        // a leg resting on the account is open, whatever the query says.
        if (await this.restsOnAccount(clientOrderId)) open = true;
        else unknown = true;
        continue;
      }
      if (ENDED.has(algo.algoStatus)) {
        ended = true;
        continue;
      }
      if (algo.algoStatus !== "FINISHED" || algo.actualOrderId === "") {
        open = true;
        continue;
      }
      const exit = await this.exitOf(p.symbol, reason, clientOrderId, algo.actualOrderId, algo.orderType);
      // One leg executed: the other must not fire on a position that is gone.
      for (const [, other] of this.legsOf(v))
        if (other !== clientOrderId) await this.orders.cancelProtectiveOrder(other);
      return { state: "exited", exit };
    }
    const neverPlaced = unknown && !ended;
    if (open) return ended || unknown ? { state: "half", neverPlaced } : { state: "open" };
    return { state: "gone", neverPlaced };
  }

  /** Whether an algo order rests among the account's open ones (asked only when a lookup misses it). */
  private async restsOnAccount(clientAlgoId: string): Promise<boolean> {
    return (await this.orders.openProtectiveOrders()).some((o) => o.clientAlgoId === clientAlgoId);
  }

  private legsOf(v: VenueProtection & { kind: "conditional" }) {
    const legs: ["stop_loss" | "take_profit", string][] = [];
    if (v.stop !== undefined) legs.push(["stop_loss", v.stop]);
    if (v.takeProfit !== undefined) legs.push(["take_profit", v.takeProfit]);
    return legs;
  }

  /** The triggered order's trades: quantity, average price and fee of the exit. */
  private async exitOf(
    symbol: string,
    reason: "stop_loss" | "take_profit",
    clientOrderId: string,
    orderId: string,
    orderType: string,
  ): Promise<VenueExit> {
    const trades = await this.orders.fills(symbol, orderId);
    const qty = trades.reduce((s, t) => s + Number(t.qty), 0);
    const quote = trades.reduce((s, t) => s + Number(t.quoteQty), 0);
    const { fee, feeAsset, otherFees } = this.commissionsOf(symbol, trades);
    return {
      reason,
      orderId,
      clientOrderId,
      type: orderType === "TAKE_PROFIT_MARKET" ? "TAKE_PROFIT_MARKET" : "STOP_MARKET",
      quantity: toDecimal(qty),
      price: numberToDecimal(qty > 0 ? quote / qty : 0),
      fee: numberToDecimal(fee),
      feeAsset,
      otherFees,
    };
  }

  /**
   * One-way mode only (F30): the engine keeps one signed position per symbol and closes with
   * reduce-only orders, which a hedge-mode account answers with -4061, or worse, books as a second leg.
   */
  async preflight(): Promise<void> {
    if ((await this.orders.positionMode()) === "hedge")
      throw new AccountNotTradable(
        "the Binance futures account is in hedge mode (dualSidePosition=true), and Tradewire trades " +
          "one-way positions: switch it to one-way mode (Preferences > Position Mode, or POST " +
          "/fapi/v1/positionSide/dual with dualSidePosition=false, which needs no open positions or orders)",
      );
  }

  async openOrders(symbol?: string) {
    return this.orders.openOrders(symbol);
  }

  async cancelConditionalOrder(clientOrderId: string): Promise<boolean> {
    return (await this.orders.cancelProtectiveOrder(clientOrderId)) !== undefined;
  }

  async openConditionalOrders(): Promise<OpenConditionalOrder[]> {
    return (await this.orders.openProtectiveOrders()).map((o) => ({
      symbol: o.symbol,
      clientOrderId: o.clientAlgoId,
      side: o.side,
      type: o.orderType,
      quantity: o.quantity,
      triggerPrice: o.triggerPrice,
    }));
  }

  /** The asked symbols' position amounts, and every other symbol's the account holds a position on. */
  async holdings(symbols: readonly string[]): Promise<Map<string, number>> {
    const amounts = new Map<string, number>(symbols.map((s) => [s, 0]));
    for (const p of await this.orders.positions())
      amounts.set(p.symbol, (amounts.get(p.symbol) ?? 0) + Number(p.positionAmt));
    return amounts;
  }

  async worth(): Promise<AccountHoldings> {
    return { market: "futures", marginBalance: Number((await this.orders.account()).totalMarginBalance) };
  }
}

/** None of a protection's orders left; `neverPlaced` when none was ever sent (see ProtectionStatus). */
function gone(neverPlaced: boolean): ProtectionStatus {
  return neverPlaced ? { state: "gone", neverPlaced: true } : { state: "gone" };
}
