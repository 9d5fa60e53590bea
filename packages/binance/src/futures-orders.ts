import { z } from "zod";
import { Amount, Id, parse, signedOrAbsent, tickerPrice } from "./response.js";
import type { BinanceRest, SendOptions } from "./rest.js";
import type { TimeInForce } from "./spot-orders.js";

/** A USD-M order as `/fapi/v1/order` returns it (RESULT response on submit, the order on query). */
export const FuturesOrder = z.object({
  symbol: z.string(),
  orderId: Id,
  clientOrderId: z.string(),
  price: z.string(),
  /** Average fill price; "0" (or "0.00000") until something filled. */
  avgPrice: z.string(),
  origQty: z.string(),
  executedQty: z.string(),
  /** Filled notional in the quote asset. */
  cumQuote: z.string(),
  status: z.string(),
  type: z.string(),
  side: z.enum(["BUY", "SELL"]),
  reduceOnly: z.boolean(),
  updateTime: z.number().optional(),
});
export type FuturesOrder = z.output<typeof FuturesOrder>;

export interface NewFuturesOrder {
  symbol: string;
  side: "BUY" | "SELL";
  quantity: string;
  clientOrderId: string;
  reduceOnly?: boolean;
  /** Epoch ms: an order the rate limiter cannot let out by then is not sent (RequestNotSent). */
  sendBy?: number;
}

/**
 * A conditional order held by Binance's Algo Service (`/fapi/v1/algoOrder`). `actualOrderId` names
 * the regular order it placed once triggered ("" before; absent from the answer to a new order).
 */
export const FuturesAlgoOrder = z.object({
  algoId: Id,
  clientAlgoId: z.string(),
  algoType: z.string(),
  orderType: z.string(),
  symbol: z.string(),
  side: z.enum(["BUY", "SELL"]),
  quantity: z.string(),
  /** NEW, TRIGGERING, TRIGGERED, FINISHED, CANCELED, REJECTED or EXPIRED. */
  algoStatus: z.string(),
  triggerPrice: z.string(),
  workingType: z.string(),
  reduceOnly: z.boolean(),
  actualOrderId: z.string().default(""),
  actualPrice: z.string().optional(),
  createTime: z.number(),
  updateTime: z.number().optional(),
  triggerTime: z.number().optional(),
});
export type FuturesAlgoOrder = z.output<typeof FuturesAlgoOrder>;

/** One trade of an order (`/fapi/v1/userTrades`): what it filled at and the fee it paid. */
export const FuturesFill = z.object({
  id: Id,
  orderId: Id,
  symbol: z.string(),
  side: z.enum(["BUY", "SELL"]),
  price: z.string(),
  qty: z.string(),
  quoteQty: z.string(),
  commission: z.string(),
  commissionAsset: z.string(),
  realizedPnl: z.string(),
  time: z.number(),
});
export type FuturesFill = z.output<typeof FuturesFill>;

/** A position (`/fapi/v3/positionRisk`): `positionAmt` is signed, negative for a short. */
export const FuturesPosition = z.object({
  symbol: z.string(),
  positionSide: z.string(),
  positionAmt: z.string(),
  entryPrice: z.string(),
  markPrice: z.string().optional(),
  unRealizedProfit: z.string().optional(),
});
export type FuturesPosition = z.output<typeof FuturesPosition>;

export const FuturesLeverage = z.object({
  symbol: z.string(),
  leverage: z.number(),
  maxNotionalValue: z.string(),
});
export type FuturesLeverage = z.output<typeof FuturesLeverage>;

/**
 * The account's totals (`/fapi/v3/account`), in USDT (single-asset mode) or in USD across the margin
 * assets (multi-assets mode): the margin balance is the wallet balance plus unrealized PnL.
 */
export const FuturesAccount = z.object({
  totalWalletBalance: Amount,
  totalUnrealizedProfit: Amount,
  totalMarginBalance: Amount,
});
export type FuturesAccount = z.output<typeof FuturesAccount>;

/** `GET /fapi/v1/positionSide/dual`: true when the account is in hedge mode (LONG and SHORT legs). */
const PositionMode = z.object({ dualSidePosition: z.boolean() });

const AlgoCancel = z.object({ algoId: Id, clientAlgoId: z.string() });
export type FuturesAlgoCancel = z.output<typeof AlgoCancel>;

export interface FuturesProtectiveOrderRequest {
  symbol: string;
  /** Opposite to the position: SELL protects a long, BUY a short. */
  side: "BUY" | "SELL";
  kind: "STOP_MARKET" | "TAKE_PROFIT_MARKET";
  stopPrice: string;
  quantity: string;
  /** Sent as `clientAlgoId`. */
  clientOrderId: string;
}

const CANCEL_REJECTED = -2011;
const ORDER_DOES_NOT_EXIST = -2013;

/**
 * USD-M futures endpoints Tradewire needs (signed, over a BinanceRest on the futures base URL):
 * market orders, exchange-side protective orders, lookups, positions, fills and leverage.
 *
 * Protective orders go to the Algo Service: since 2025-12-09 `POST /fapi/v1/order` answers -4120
 * ("Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.")
 * for STOP_MARKET / TAKE_PROFIT_MARKET / STOP / TAKE_PROFIT / TRAILING_STOP_MARKET
 * (https://developers.binance.com/docs/derivatives/change-log#2025-11-06). Those orders are then
 * found and canceled by `clientAlgoId` on `/fapi/v1/algoOrder`, never on `/fapi/v1/order`, which
 * does not know them; hence the separate `*ProtectiveOrder` methods.
 */
export class FuturesOrders {
  constructor(private readonly rest: BinanceRest) {}

  /** MARKET order with a caller-chosen client order id; RESULT response (filled, with avgPrice). */
  newMarketOrder(o: NewFuturesOrder): Promise<FuturesOrder> {
    return this.newOrder(o, { type: "MARKET" });
  }

  /**
   * LIMIT order with a caller-chosen client order id. With RESULT, IOC and FOK orders come back
   * final (FILLED or EXPIRED, with what executed). A GTC comes back NEW and rests on the book
   * (PARTIALLY_FILLED or FILLED when it executed on arrival); follow it with `findByClientId` /
   * `openOrders` and its trades with `fills`, end it with `cancelByClientId`.
   */
  newLimitOrder(o: NewFuturesOrder & { price: string; timeInForce: TimeInForce }): Promise<FuturesOrder> {
    return this.newOrder(o, { type: "LIMIT", timeInForce: o.timeInForce, price: o.price });
  }

  private async newOrder(o: NewFuturesOrder, kind: Record<string, string>): Promise<FuturesOrder> {
    const body = await this.rest.signed<unknown>(
      "POST",
      "/fapi/v1/order",
      {
        symbol: o.symbol,
        side: o.side,
        ...kind,
        quantity: o.quantity,
        newClientOrderId: o.clientOrderId,
        // The default is ACK (no fill data); RESULT returns the order's final state when it has one.
        newOrderRespType: "RESULT",
        reduceOnly: o.reduceOnly ? "true" : undefined,
      },
      { sendBy: o.sendBy },
    );
    return parse(FuturesOrder, "POST /fapi/v1/order", body);
  }

  /** The trades of one order, with the commission each paid (USD-M RESULT responses carry no fees). */
  async fills(symbol: string, orderId: string): Promise<FuturesFill[]> {
    const body = await this.rest.signed<unknown>("GET", "/fapi/v1/userTrades", { symbol, orderId });
    return parse(z.array(FuturesFill), "GET /fapi/v1/userTrades", body);
  }

  /** A reduce-only STOP_MARKET or TAKE_PROFIT_MARKET resting on the exchange, triggered by mark price. */
  async newProtectiveOrder(o: FuturesProtectiveOrderRequest): Promise<FuturesAlgoOrder> {
    const body = await this.rest.signed<unknown>("POST", "/fapi/v1/algoOrder", {
      algoType: "CONDITIONAL",
      symbol: o.symbol,
      side: o.side,
      type: o.kind,
      quantity: o.quantity,
      triggerPrice: o.stopPrice,
      workingType: "MARK_PRICE",
      reduceOnly: "true",
      clientAlgoId: o.clientOrderId,
    });
    return parse(FuturesAlgoOrder, "POST /fapi/v1/algoOrder", body);
  }

  /** The protective order with this client id, or undefined if the Algo Service does not know it. */
  async findProtectiveOrder(clientOrderId: string): Promise<FuturesAlgoOrder | undefined> {
    return signedOrAbsent(
      this.rest,
      "GET",
      "/fapi/v1/algoOrder",
      { clientAlgoId: clientOrderId },
      FuturesAlgoOrder,
      [ORDER_DOES_NOT_EXIST],
    );
  }

  /** Cancels a resting protective order; undefined when it is already triggered, canceled or unknown. */
  async cancelProtectiveOrder(clientOrderId: string): Promise<FuturesAlgoCancel | undefined> {
    return signedOrAbsent(
      this.rest,
      "DELETE",
      "/fapi/v1/algoOrder",
      { clientAlgoId: clientOrderId },
      AlgoCancel,
      [CANCEL_REJECTED, ORDER_DOES_NOT_EXIST],
    );
  }

  /** Protective orders not yet triggered. */
  async openProtectiveOrders(symbol?: string): Promise<FuturesAlgoOrder[]> {
    const body = await this.rest.signed<unknown>("GET", "/fapi/v1/openAlgoOrders", symbol ? { symbol } : {});
    return parse(z.array(FuturesAlgoOrder), "GET /fapi/v1/openAlgoOrders", body);
  }

  /** The regular order with this client id, or undefined if the exchange never received it (-2013). */
  async findByClientId(symbol: string, clientOrderId: string): Promise<FuturesOrder | undefined> {
    return signedOrAbsent(
      this.rest,
      "GET",
      "/fapi/v1/order",
      { symbol, origClientOrderId: clientOrderId },
      FuturesOrder,
      [ORDER_DOES_NOT_EXIST],
    );
  }

  /**
   * Cancels a regular order: the order as canceled (CANCELED, what executed kept). Undefined when it
   * is filled, canceled or unknown (-2011 "Unknown order sent.").
   */
  async cancelByClientId(symbol: string, clientOrderId: string): Promise<FuturesOrder | undefined> {
    return signedOrAbsent(
      this.rest,
      "DELETE",
      "/fapi/v1/order",
      { symbol, origClientOrderId: clientOrderId },
      FuturesOrder,
      [CANCEL_REJECTED, ORDER_DOES_NOT_EXIST],
    );
  }

  /** Open regular orders (protective orders are in `openProtectiveOrders`). */
  async openOrders(symbol?: string): Promise<FuturesOrder[]> {
    const body = await this.rest.signed<unknown>("GET", "/fapi/v1/openOrders", symbol ? { symbol } : {});
    return parse(z.array(FuturesOrder), "GET /fapi/v1/openOrders", body);
  }

  /** The symbol's last price (`/fapi/v1/ticker/price`, weight 1); undefined when USD-M does not list it. */
  lastPrice(symbol: string): Promise<string | undefined> {
    return tickerPrice(this.rest, "/fapi/v1/ticker/price", symbol);
  }

  /** Open positions. v3 of positionRisk lists only symbols with a position or open orders. */
  async positions(symbol?: string): Promise<FuturesPosition[]> {
    const body = await this.rest.signed<unknown>("GET", "/fapi/v3/positionRisk", symbol ? { symbol } : {});
    return parse(z.array(FuturesPosition), "GET /fapi/v3/positionRisk", body);
  }

  /** The account's totals (`/fapi/v3/account`, weight 5). */
  async account(): Promise<FuturesAccount> {
    const body = await this.rest.signed<unknown>("GET", "/fapi/v3/account", {});
    return parse(FuturesAccount, "GET /fapi/v3/account", body);
  }

  /** The account's position mode: one signed position per symbol, or separate LONG/SHORT sides. */
  async positionMode(): Promise<"one-way" | "hedge"> {
    const body = await this.rest.signed<unknown>("GET", "/fapi/v1/positionSide/dual", {});
    const mode = parse(PositionMode, "GET /fapi/v1/positionSide/dual", body);
    return mode.dualSidePosition ? "hedge" : "one-way";
  }

  async setLeverage(symbol: string, leverage: number, send: SendOptions = {}): Promise<FuturesLeverage> {
    const body = await this.rest.signed<unknown>("POST", "/fapi/v1/leverage", { symbol, leverage }, send);
    return parse(FuturesLeverage, "POST /fapi/v1/leverage", body);
  }
}
