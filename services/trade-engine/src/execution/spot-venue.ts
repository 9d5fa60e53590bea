import {
  type BinanceError,
  numberToDecimal,
  ocoLegClientIds,
  type SpotOrder,
  type SpotOrderList,
  type SpotOrders,
  type SymbolFilters,
} from "@tradewire/binance";
import { clientOrderIdFor } from "../ids.js";
import type { Protection } from "../protection.js";
import type { NewOrder } from "./adapter.js";
import {
  type AccountHoldings,
  AccountNotTradable,
  assetsOf,
  baseAssetOf,
  commissions,
  type ExchangeAccount,
  exchangeLimit,
  type OrderVenue,
  orderAnswer,
  type ProtectionStatus,
  type ProtectiveOrders,
  priceFor,
  quantityFor,
  type VenueOrder,
  type VenueProtection,
} from "./venue.js";

const DUPLICATE_ORDER = -2010;

/** An order with its fees: from the fills of a FULL placement response, or `trades` when given. */
function venueOrder(
  o: SpotOrder,
  assets: { base: string; quote: string },
  trades: readonly { price: string; commission: string; commissionAsset: string }[] = o.fills ?? [],
): VenueOrder {
  const executed = Number(o.executedQty);
  return {
    orderId: o.orderId,
    clientOrderId: o.clientOrderId,
    status: o.status,
    executedQty: o.executedQty,
    // Average fill price from the quote spent: exact enough for PnL, the fills keep the detail.
    avgPrice: executed > 0 ? Number(o.cummulativeQuoteQty) / executed : 0,
    ...commissions(trades, assets),
  };
}

/**
 * Binance spot: MARKET orders, OCO protection (a LIMIT_MAKER take-profit above and a STOP_LOSS
 * below, for longs: spot cannot be short), and balances as positions for reconciliation.
 */
export class SpotVenue implements OrderVenue, ProtectiveOrders, ExchangeAccount {
  readonly market = "spot" as const;

  constructor(
    private readonly orders: SpotOrders,
    private readonly filters?: ReadonlyMap<string, SymbolFilters>,
  ) {}

  lastPrice(symbol: string): Promise<string | undefined> {
    return this.orders.lastPrice(symbol);
  }

  async submit(o: NewOrder): Promise<VenueOrder> {
    const limit = exchangeLimit(o);
    // A FULL answer carries the fills and their fees: nothing is asked after the POST. An answer that
    // came back but does not parse is not a refusal (see orderAnswer).
    return venueOrder(
      await orderAnswer(
        o.clientOrderId,
        limit ? this.orders.newLimitOrder({ ...o, ...limit }) : this.orders.newMarketOrder(o),
      ),
      this.assets(o.symbol),
    );
  }

  async find(symbol: string, clientOrderId: string): Promise<VenueOrder | undefined> {
    const o = await this.orders.findByClientId(symbol, clientOrderId);
    return o && this.withFees(o);
  }

  /** A lookup or a cancel carries no fills: the fees of what executed come from the order's trades. */
  private async withFees(o: SpotOrder): Promise<VenueOrder> {
    const executed = Number(o.executedQty) > 0;
    return venueOrder(
      o,
      this.assets(o.symbol),
      executed ? await this.orders.trades(o.symbol, o.orderId) : [],
    );
  }

  async cancelOrder(symbol: string, clientOrderId: string): Promise<VenueOrder | undefined> {
    const o = await this.orders.cancelByClientId(symbol, clientOrderId);
    return o && this.withFees(o);
  }

  private assets(symbol: string): { base: string; quote: string } {
    return assetsOf(symbol, this.filters?.get(symbol));
  }

  isDuplicate(error: BinanceError): boolean {
    return error.details.binanceCode === DUPLICATE_ORDER && /duplicate/i.test(error.message);
  }

  async place(p: Protection, quantity: number, beforeSend: (v: VenueProtection) => Promise<void>) {
    if (p.direction !== 1) return { unsupported: "spot cannot hold a short: no exchange-side stop" };
    if (p.stopLoss === undefined || p.takeProfit === undefined)
      return { unsupported: "a spot OCO needs both stop_loss and take_profit" };
    const filters = this.filters?.get(p.symbol);
    // What is held may be less than what was bought (a fee paid in the base asset): sell no more.
    const asset = baseAssetOf(p.symbol, filters);
    const free = Number((await this.orders.balances()).find((b) => b.asset === asset)?.free ?? 0);
    const qty = quantityFor(Math.min(quantity, free), filters);
    // One id per entry and size: a retry is the same list, a resize after an addition a new one.
    const listClientOrderId = clientOrderIdFor(`${p.signalId}:protect:${qty}`);
    const legs = ocoLegClientIds(listClientOrderId);
    const placed: VenueProtection = {
      kind: "oco",
      listClientOrderId,
      stop: legs.stop,
      takeProfit: legs.takeProfit,
    };
    await beforeSend(placed);
    await this.orders.newOco({
      symbol: p.symbol,
      side: "SELL",
      quantity: qty,
      takeProfitPrice: priceFor(p.takeProfit, filters),
      stopPrice: priceFor(p.stopLoss, filters),
      listClientOrderId,
    });
    return { placed };
  }

  async status(p: Protection, v: VenueProtection): Promise<ProtectionStatus> {
    if (v.kind !== "oco") throw new Error(`spot protection of kind ${v.kind}`);
    const list = await this.orders.findOrderList(v.listClientOrderId);
    if (list === undefined) {
      // The query may lag a list just placed, or have forgotten an old one: legs resting on the
      // account are open. Otherwise unknown to the exchange: never placed, its ids stored and then
      // no POST (a crash). A list canceled by hand is still found (ALL_DONE), and gone for good.
      const legs = new Set([v.stop, v.takeProfit]);
      const open = await this.orders.openOrders(p.symbol);
      if (open.some((o) => legs.has(o.clientOrderId))) return { state: "open" };
      return { state: "gone", neverPlaced: true };
    }
    if (list.listOrderStatus === "ALL_DONE") return this.outcome(p, v, list);
    // Working. A take-profit that filled in part has canceled the stop (one cancels the other),
    // and the rest of the position has no stop: the list is ended, and what executed is the exit.
    const stop = await this.orders.findByClientId(p.symbol, v.stop);
    if (stop === undefined || stop.status === "NEW") return { state: "open" };
    return this.end(p, v);
  }

  async cancel(p: Protection, v: VenueProtection): Promise<ProtectionStatus> {
    if (v.kind !== "oco") throw new Error(`spot protection of kind ${v.kind}`);
    return this.end(p, v);
  }

  /** Cancels the list; what a leg executed before (in part) is the exit, as when it is done already. */
  private async end(p: Protection, v: VenueProtection & { kind: "oco" }): Promise<ProtectionStatus> {
    const canceled = await this.orders.cancelOrderList(p.symbol, v.listClientOrderId);
    if (canceled !== undefined) return this.outcome(p, v, canceled);
    // Not cancelable: done already, so a leg may have executed.
    const list = await this.orders.findOrderList(v.listClientOrderId);
    return list === undefined ? { state: "gone" } : this.outcome(p, v, list);
  }

  /** A finished list: the leg that filled is the exit; none filled means it was canceled. */
  private async outcome(p: Protection, v: VenueProtection & { kind: "oco" }, list: SpotOrderList) {
    for (const [reason, clientOrderId] of [
      ["stop_loss", v.stop],
      ["take_profit", v.takeProfit],
    ] as const) {
      if (!list.orders.some((o) => o.clientOrderId === clientOrderId)) continue;
      const leg = await this.orders.findByClientId(p.symbol, clientOrderId);
      if (leg === undefined || !(Number(leg.executedQty) > 0)) continue;
      const o = await this.withFees(leg);
      const exit = {
        reason,
        orderId: o.orderId,
        clientOrderId,
        type: "OCO" as const,
        quantity: o.executedQty,
        price: numberToDecimal(o.avgPrice),
        fee: numberToDecimal(o.fee),
        feeAsset: o.feeAsset,
        otherFees: o.otherFees,
      };
      return { state: "exited" as const, exit };
    }
    return { state: "gone" as const };
  }

  async preflight(): Promise<void> {
    if (!(await this.orders.canTrade()))
      throw new AccountNotTradable(
        'the Binance API key may not trade spot (canTrade=false in /api/v3/account): enable "Spot & Margin Trading" for the key',
      );
  }

  async openOrders(symbol?: string) {
    return this.orders.openOrders(symbol);
  }

  async holdings(symbols: readonly string[]): Promise<Map<string, number>> {
    const balances = new Map(
      (await this.orders.balances()).map((b) => [b.asset, Number(b.free) + Number(b.locked)]),
    );
    return new Map(symbols.map((s) => [s, balances.get(baseAssetOf(s, this.filters?.get(s))) ?? 0] as const));
  }

  async worth(): Promise<AccountHoldings> {
    const balances = (await this.orders.balances()).map((b) => ({
      asset: b.asset,
      amount: Number(b.free) + Number(b.locked),
    }));
    return { market: "spot", balances };
  }
}
