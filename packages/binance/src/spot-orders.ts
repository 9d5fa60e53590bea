import { createHash } from "node:crypto";
import { z } from "zod";
import { Amount, hasBinanceCode, Id, parse, signedOrAbsent, tickerPrice } from "./response.js";
import type { BinanceRest } from "./rest.js";

const Fill = z.object({
  price: z.string(),
  qty: z.string(),
  commission: z.string(),
  commissionAsset: z.string(),
});

/** How long a LIMIT order works: until canceled, or only against what it can fill at once (all of it: FOK). */
export type TimeInForce = "GTC" | "IOC" | "FOK";

/** An order as `/api/v3/order` returns it (FULL response on submit, the order on query). */
export const SpotOrder = z.object({
  symbol: z.string(),
  orderId: Id,
  clientOrderId: z.string(),
  price: z.string(),
  origQty: z.string(),
  executedQty: z.string(),
  cummulativeQuoteQty: z.string(),
  status: z.string(),
  type: z.string(),
  side: z.enum(["BUY", "SELL"]),
  /** -1 unless the order is a leg of an order list (OCO). */
  orderListId: z.number().optional(),
  stopPrice: z.string().optional(),
  fills: z.array(Fill).optional(),
});
export type SpotOrder = z.output<typeof SpotOrder>;

/**
 * `DELETE /api/v3/order`'s answer: the order as it stood when canceled, where `clientOrderId` is the
 * cancel's own new id and `origClientOrderId` the order's. Read as a SpotOrder named by the order's id.
 */
const CanceledSpotOrder = SpotOrder.extend({ origClientOrderId: z.string().optional() }).transform(
  ({ origClientOrderId, ...o }): SpotOrder => ({ ...o, clientOrderId: origClientOrderId ?? o.clientOrderId }),
);

/** One trade of an order (`/api/v3/myTrades`): what it filled at and the fee it paid. */
export const SpotTrade = z.object({
  symbol: z.string(),
  id: Id,
  orderId: Id,
  price: z.string(),
  qty: z.string(),
  quoteQty: z.string(),
  commission: z.string(),
  commissionAsset: z.string(),
  time: z.number(),
});
export type SpotTrade = z.output<typeof SpotTrade>;

export interface NewSpotOrder {
  symbol: string;
  side: "BUY" | "SELL";
  quantity: string;
  clientOrderId: string;
  /** Epoch ms: an order the rate limiter cannot let out by then is not sent (RequestNotSent). */
  sendBy?: number;
}

/** An order list (OCO) as `/api/v3/orderList` and `/api/v3/orderList/oco` return it. */
export const SpotOrderList = z.object({
  orderListId: Id,
  contingencyType: z.string(),
  /** EXEC_STARTED while working, ALL_DONE once a leg filled or the list was canceled. */
  listStatusType: z.string(),
  /** EXECUTING, ALL_DONE or REJECT. */
  listOrderStatus: z.string(),
  listClientOrderId: z.string(),
  transactionTime: z.number(),
  symbol: z.string(),
  orders: z.array(z.object({ symbol: z.string(), orderId: Id, clientOrderId: z.string() })),
  /** On placement and cancel only, not on query. */
  orderReports: z.array(SpotOrder).optional(),
});
export type SpotOrderList = z.output<typeof SpotOrderList>;

const Account = z.object({
  /** false when the API key lacks the "Enable Spot & Margin Trading" permission. */
  canTrade: z.boolean(),
  balances: z.array(z.object({ asset: z.string(), free: Amount, locked: Amount })),
});
export type SpotBalance = z.output<typeof Account>["balances"][number];

export interface SpotOcoRequest {
  symbol: string;
  /** SELL protects a long (take-profit above, stop below); BUY protects a short. */
  side: "BUY" | "SELL";
  quantity: string;
  takeProfitPrice: string;
  stopPrice: string;
  listClientOrderId: string;
}

const ORDER_DOES_NOT_EXIST = -2013;
const NEW_ORDER_REJECTED = -2010;
const CANCEL_REJECTED = -2011;
/** Binance's client order ids: `^[\.A-Z\:/a-z0-9_-]{1,36}$`. */
const MAX_CLIENT_ID = 36;

/**
 * The leg client ids of an OCO, derived from its list id so a retry names the same legs. When the id
 * leaves no room for the suffix, a prefix and a hash of the whole id stand in for it.
 */
export function ocoLegClientIds(listClientOrderId: string): { takeProfit: string; stop: string } {
  const base =
    listClientOrderId.length + 3 <= MAX_CLIENT_ID
      ? listClientOrderId
      : `${listClientOrderId.slice(0, 24)}.${createHash("sha256").update(listClientOrderId).digest("hex").slice(0, 8)}`;
  return { takeProfit: `${base}-tp`, stop: `${base}-sl` };
}

/** Spot order endpoints Tradewire needs (signed): market and limit orders, cancels, OCO protection, lookups, balances. */
export class SpotOrders {
  constructor(private readonly rest: BinanceRest) {}

  /** MARKET order with a caller-chosen client order id, FULL response (fills with fees). */
  newMarketOrder(o: NewSpotOrder): Promise<SpotOrder> {
    return this.newOrder(o, { type: "MARKET" });
  }

  /**
   * LIMIT order with a caller-chosen client order id, FULL response. IOC and FOK come back final:
   * FILLED, or EXPIRED with what executed before the rest expired (IOC) or nothing (FOK). A GTC comes
   * back NEW and rests on the book (PARTIALLY_FILLED or FILLED when it executed on arrival); follow
   * it with `findByClientId` / `openOrders`, end it with `cancelByClientId`.
   */
  newLimitOrder(o: NewSpotOrder & { price: string; timeInForce: TimeInForce }): Promise<SpotOrder> {
    return this.newOrder(o, { type: "LIMIT", timeInForce: o.timeInForce, price: o.price });
  }

  private async newOrder(o: NewSpotOrder, kind: Record<string, string>): Promise<SpotOrder> {
    const body = await this.rest.signed<unknown>(
      "POST",
      "/api/v3/order",
      {
        symbol: o.symbol,
        side: o.side,
        ...kind,
        quantity: o.quantity,
        newClientOrderId: o.clientOrderId,
        newOrderRespType: "FULL",
      },
      { sendBy: o.sendBy },
    );
    return parse(SpotOrder, "POST /api/v3/order", body);
  }

  /**
   * An exchange-side OCO protecting a position: a LIMIT_MAKER take-profit and a STOP_LOSS (market)
   * stop. Placing a list whose id is still working answers that list instead of a second one.
   *
   * Uses `POST /api/v3/orderList/oco` (aboveType/belowType); `POST /api/v3/order/oco` has been
   * deprecated since 2024-04-02. For SELL the LIMIT_MAKER is the above leg and STOP_LOSS the below
   * leg. For BUY the stop is above; the docs list no LIMIT_MAKER among `belowType` values, so the
   * take-profit below is a TAKE_PROFIT (market at its stop price) instead.
   */
  async newOco(o: SpotOcoRequest): Promise<SpotOrderList> {
    const ids = ocoLegClientIds(o.listClientOrderId);
    const legs =
      o.side === "SELL"
        ? {
            aboveType: "LIMIT_MAKER",
            abovePrice: o.takeProfitPrice,
            aboveClientOrderId: ids.takeProfit,
            belowType: "STOP_LOSS",
            belowStopPrice: o.stopPrice,
            belowClientOrderId: ids.stop,
          }
        : {
            aboveType: "STOP_LOSS",
            aboveStopPrice: o.stopPrice,
            aboveClientOrderId: ids.stop,
            belowType: "TAKE_PROFIT",
            belowStopPrice: o.takeProfitPrice,
            belowClientOrderId: ids.takeProfit,
          };
    try {
      const body = await this.rest.signed<unknown>("POST", "/api/v3/orderList/oco", {
        symbol: o.symbol,
        side: o.side,
        quantity: o.quantity,
        listClientOrderId: o.listClientOrderId,
        ...legs,
        newOrderRespType: "RESULT",
      });
      return parse(SpotOrderList, "POST /api/v3/orderList/oco", body);
    } catch (error) {
      // A duplicate id is a -2010 like any other matching-engine rejection: tell them apart by
      // looking the list up. Binance accepts a reused id once the earlier list is done, so only a
      // working list counts as "already placed".
      if (!hasBinanceCode(error, NEW_ORDER_REJECTED)) throw error;
      const existing = await this.findOrderList(o.listClientOrderId);
      if (existing?.listOrderStatus === "EXECUTING" && existing.symbol === o.symbol) return existing;
      throw error;
    }
  }

  /** The order list with this client id, or undefined if the exchange does not know it (-2013). */
  async findOrderList(listClientOrderId: string): Promise<SpotOrderList | undefined> {
    // The query names the list id `origClientOrderId`; the endpoint takes no symbol.
    return signedOrAbsent(
      this.rest,
      "GET",
      "/api/v3/orderList",
      { origClientOrderId: listClientOrderId },
      SpotOrderList,
      [ORDER_DOES_NOT_EXIST],
    );
  }

  /** Cancels both legs; undefined when the list is already done or unknown (-2011). */
  async cancelOrderList(symbol: string, listClientOrderId: string): Promise<SpotOrderList | undefined> {
    return signedOrAbsent(
      this.rest,
      "DELETE",
      "/api/v3/orderList",
      { symbol, listClientOrderId },
      SpotOrderList,
      [CANCEL_REJECTED, ORDER_DOES_NOT_EXIST],
    );
  }

  /** The order with this client id, or undefined if the exchange never received it (-2013). */
  async findByClientId(symbol: string, clientOrderId: string): Promise<SpotOrder | undefined> {
    return signedOrAbsent(
      this.rest,
      "GET",
      "/api/v3/order",
      { symbol, origClientOrderId: clientOrderId },
      SpotOrder,
      [ORDER_DOES_NOT_EXIST],
    );
  }

  /**
   * The trades of one order, with the commission each paid: an order lookup carries no fills, so
   * this is where the fees of an order that executed after it was placed are (weight 5).
   */
  async trades(symbol: string, orderId: string): Promise<SpotTrade[]> {
    const body = await this.rest.signed<unknown>("GET", "/api/v3/myTrades", { symbol, orderId });
    return parse(z.array(SpotTrade), "GET /api/v3/myTrades", body);
  }

  /**
   * Cancels a resting order (`DELETE /api/v3/order`): the order as canceled, status CANCELED with
   * what executed before (`executedQty`, `cummulativeQuoteQty`), `clientOrderId` the order's own.
   * Undefined when it is filled, canceled or unknown (-2011 "Unknown order sent.").
   */
  async cancelByClientId(symbol: string, clientOrderId: string): Promise<SpotOrder | undefined> {
    return signedOrAbsent(
      this.rest,
      "DELETE",
      "/api/v3/order",
      { symbol, origClientOrderId: clientOrderId },
      CanceledSpotOrder,
      [CANCEL_REJECTED, ORDER_DOES_NOT_EXIST],
    );
  }

  async openOrders(symbol?: string): Promise<SpotOrder[]> {
    const body = await this.rest.signed<unknown>("GET", "/api/v3/openOrders", symbol ? { symbol } : {});
    return parse(z.array(SpotOrder), "GET /api/v3/openOrders", body);
  }

  /** The symbol's last price (`/api/v3/ticker/price`, weight 2); undefined when spot does not list it. */
  lastPrice(symbol: string): Promise<string | undefined> {
    return tickerPrice(this.rest, "/api/v3/ticker/price", symbol);
  }

  async balances(): Promise<SpotBalance[]> {
    return (await this.account()).balances;
  }

  /** Whether the API key may place spot orders at all. */
  async canTrade(): Promise<boolean> {
    return (await this.account()).canTrade;
  }

  private async account(): Promise<z.output<typeof Account>> {
    const body = await this.rest.signed<unknown>("GET", "/api/v3/account", { omitZeroBalances: "true" });
    return parse(Account, "GET /api/v3/account", body);
  }
}
