import { authenticate, type FakeCredentials } from "./auth.js";
import {
  checkPartial,
  type FakeTimeInForce,
  isDecimal,
  limitReached,
  limitTerms,
  qtyString,
  type Reply,
  reject,
  tickerPrice,
} from "./trading.js";

export interface FakeExchangeOptions extends FakeCredentials {
  /** Last price per symbol: MARKET orders fill at it; `trigger` compares OCO legs and resting LIMITs with it. */
  price: (symbol: string) => string | undefined;
  /** Taker fee rate (default 0.001). */
  feeRate?: number;
  /**
   * What a BUY's commission is paid in: "quote" (default); "base" as Binance charges it without the
   * BNB discount (the buyer receives the quantity less the commission); or "BNB", worth the same at
   * `price("BNB<quote>")`.
   */
  buyCommissionIn?: "quote" | "base" | "BNB";
  /**
   * An order's lookup by client id (`GET /api/v3/order`) answers -2013 for this long after it was
   * placed, as Binance's can while an order whose answer was lost is still settling. Default 0.
   */
  lookupLagMs?: number;
}

export type FakeOrderType = "MARKET" | "LIMIT" | "LIMIT_MAKER" | "STOP_LOSS" | "TAKE_PROFIT";

export interface FakeOrder {
  symbol: string;
  orderId: number;
  /** -1 unless the order is a leg of an order list. */
  orderListId: number;
  clientOrderId: string;
  price: string;
  stopPrice?: string;
  origQty: string;
  executedQty: string;
  cummulativeQuoteQty: string;
  status: "NEW" | "PARTIALLY_FILLED" | "FILLED" | "CANCELED" | "EXPIRED";
  type: FakeOrderType;
  timeInForce?: FakeTimeInForce;
  side: "BUY" | "SELL";
  time: number;
  fills?: { price: string; qty: string; commission: string; commissionAsset: string }[];
}

/** One fill of a spot order, as a FULL placement response lists it. */
export type FakeFill = NonNullable<FakeOrder["fills"]>[number];

/**
 * A change of a spot order, named as Binance's `executionReport` names it (`x`): placed (NEW),
 * a fill (TRADE: the fill, its myTrades id, whether the order was the maker), CANCELED (with the
 * cancel request's own client id), EXPIRED. `order` is the live record, already updated.
 */
export type FakeOrderChange =
  | { execType: "NEW" | "EXPIRED"; order: FakeOrder }
  | { execType: "CANCELED"; order: FakeOrder; cancelClientOrderId: string }
  | { execType: "TRADE"; order: FakeOrder; fill: FakeFill; tradeId: number; maker: boolean };

export interface FakeOrderList {
  orderListId: number;
  listClientOrderId: string;
  symbol: string;
  listStatusType: "EXEC_STARTED" | "ALL_DONE";
  listOrderStatus: "EXECUTING" | "ALL_DONE";
  transactionTime: number;
  /** The leg that works above the price (take-profit of a SELL, stop of a BUY) and the one below. */
  aboveOrderId: number;
  belowOrderId: number;
}

export interface FakeExchange {
  /** Every order the fake accepted, in order (OCO legs included). */
  orders: FakeOrder[];
  /** Every OCO the fake accepted, in order. */
  orderLists: FakeOrderList[];
  /** Free balance per asset. */
  balances: Map<string, number>;
  /** Balance held by working SELL OCOs and resting GTC LIMITs (quote of a BUY, base of a SELL), per asset. */
  locked: Map<string, number>;
  /** What `/api/v3/account` says of the key's trading permission (default true). */
  canTrade: boolean;
  /**
   * How much the book holds for an arriving MARKET or IOC order, per symbol (no limit when absent):
   * what is more EXPIRES, as on Binance when the book runs out; a FOK larger than it EXPIRES whole.
   */
  bookDepth: Map<string, number>;
  /** Adds a NEW LIMIT as if placed outside this process (reconciliation tests); it locks no balance. */
  addOpenOrder(o: {
    symbol: string;
    clientOrderId: string;
    side: "BUY" | "SELL";
    quantity: string;
    price: string;
  }): void;
  /**
   * Lets the market reach the working OCOs on `symbol` at the current `price(symbol)`: a leg whose
   * level is crossed fills (a LIMIT_MAKER at its price, a stop or take-profit at the market), the
   * other leg is canceled and the list is ALL_DONE. Then fills what is left of every resting LIMIT
   * (NEW or PARTIALLY_FILLED, not an OCO leg) on `symbol` the price has reached (BUY: price <=
   * limit, SELL: price >= limit) at its limit price. Returns the legs, then the LIMITs, that filled.
   */
  trigger(symbol: string): FakeOrder[];
  /**
   * Executes `quantity` more of a resting LIMIT (NEW or PARTIALLY_FILLED) at its limit price, as if
   * part of the book had traded against it: PARTIALLY_FILLED, FILLED once nothing is left; balances
   * move and a fill (fee in the quote asset) is appended. Throws if no such order rests or the
   * quantity is more than what is left. An OCO's LIMIT_MAKER leg may be filled in part too: as on
   * Binance, the other leg is then canceled, and the list works on (EXECUTING) until the rest fills
   * or is canceled.
   */
  partialFill(clientOrderId: string, quantity: string): void;
}

const quoteOf = (symbol: string) => (symbol.endsWith("USDT") ? "USDT" : symbol.slice(-3));
const baseOf = (symbol: string) => symbol.slice(0, symbol.length - quoteOf(symbol).length);
const fmt = (n: number) => n.toFixed(8);
const LEG_TYPES: readonly string[] = ["LIMIT_MAKER", "STOP_LOSS", "TAKE_PROFIT"];
const SPOT_PATHS = [
  "POST /api/v3/order",
  "GET /api/v3/order",
  "GET /api/v3/openOrders",
  "GET /api/v3/account",
  "POST /api/v3/orderList/oco",
  "GET /api/v3/orderList",
  "DELETE /api/v3/orderList",
  "DELETE /api/v3/order",
  "GET /api/v3/myTrades",
];

/** An order as a lookup answers it: Binance returns fills only in a FULL placement response. */
function withoutFills({ fills: _fills, ...o }: FakeOrder): Omit<FakeOrder, "fills"> {
  return o;
}

/** The myTrades id of an order's `index`th fill. */
const tradeIdOf = (o: FakeOrder, index: number) => o.orderId * 100 + index;

/** An order's fills as `/api/v3/myTrades` gives them, one trade each. */
function tradesOf(o: FakeOrder) {
  return (o.fills ?? []).map((f, i) => ({
    symbol: o.symbol,
    id: tradeIdOf(o, i),
    orderId: o.orderId,
    price: f.price,
    qty: f.qty,
    quoteQty: String(Number(f.price) * Number(f.qty)),
    commission: f.commission,
    commissionAsset: f.commissionAsset,
    isBuyer: o.side === "BUY",
    time: o.time,
  }));
}

/**
 * The signed spot trading endpoints of the fake: orders (GTC LIMITs rest until `trigger` or
 * `partialFill`), cancels, OCO order lists, lookups, account. `onChange` hears every change of
 * an order's status or executed quantity, in the order they happen.
 */
export function createFakeExchange(
  opts: FakeExchangeOptions,
  onChange: (change: FakeOrderChange) => void = () => {},
) {
  const orders: FakeOrder[] = [];
  const orderLists: FakeOrderList[] = [];
  const balances = new Map<string, number>();
  const locked = new Map<string, number>();
  const feeRate = opts.feeRate ?? 0.001;
  let nextId = 1000;
  let nextListId = 1;
  // Rounded so that holding and releasing amounts in parts leaves no float dust (or a "-0.00000000").
  const adjust = (m: Map<string, number>, asset: string, delta: number) =>
    m.set(asset, Number(((m.get(asset) ?? 0) + delta).toFixed(12)) || 0);
  const orderById = (id: number) => orders.find((o) => o.orderId === id) as FakeOrder;
  /** Resting GTC LIMITs placed through the API: they hold their remaining quote (BUY) or base (SELL). */
  const holding = new WeakSet<FakeOrder>();
  const isResting = (o: FakeOrder) => o.status === "NEW" || o.status === "PARTIALLY_FILLED";
  const isRestingLimit = (o: FakeOrder) => o.type === "LIMIT" && o.orderListId === -1 && isResting(o);
  const leftOf = (o: FakeOrder) => Number(o.origQty) - Number(o.executedQty);
  /** The asset and amount a resting LIMIT holds for `qty` of it. */
  const hold = (o: FakeOrder, qty: number): [string, number] =>
    o.side === "BUY" ? [quoteOf(o.symbol), qty * Number(o.price)] : [baseOf(o.symbol), qty];

  /**
   * Executes `qty` more of `o` at `price`, moving balances: what the order spends comes out of
   * `locked` when `fromLocked` (a SELL OCO leg's base, a resting LIMIT's base or quote), the fee out
   * of the free quote. Appends the fill; FILLED once nothing is left, else PARTIALLY_FILLED.
   * `maker`: the order rested on the book and something traded against it.
   */
  function execute(o: FakeOrder, qty: number, price: string, fromLocked: boolean, maker: boolean): void {
    const quote = qty * Number(price);
    const fee = quote * feeRate;
    const base = baseOf(o.symbol);
    const quoteAsset = quoteOf(o.symbol);
    const paidIn = o.side === "BUY" ? (opts.buyCommissionIn ?? "quote") : "quote";
    const commissionAsset = paidIn === "base" ? base : paidIn === "BNB" ? "BNB" : quoteAsset;
    const commission =
      paidIn === "base" ? qty * feeRate : paidIn === "BNB" ? fee / bnbPrice(quoteAsset) : fee;
    if (o.side === "BUY") {
      adjust(balances, base, paidIn === "base" ? qty - commission : qty);
      adjust(fromLocked ? locked : balances, quoteAsset, -quote);
      adjust(balances, commissionAsset, paidIn === "base" ? 0 : -commission);
    } else {
      adjust(fromLocked ? locked : balances, base, -qty);
      adjust(balances, quoteAsset, quote - fee);
    }
    const before = Number(o.executedQty);
    const done = before + qty >= Number(o.origQty) - 1e-12;
    o.executedQty = done ? o.origQty : qtyString(before + qty);
    o.cummulativeQuoteQty = fmt(Number(o.cummulativeQuoteQty) + quote);
    o.status = done ? "FILLED" : "PARTIALLY_FILLED";
    // A fill of the whole order names its quantity as the order does.
    const filledQty = done && before === 0 ? o.origQty : qtyString(qty);
    const fill: FakeFill = { price, qty: filledQty, commission: fmt(commission), commissionAsset };
    o.fills = [...(o.fills ?? []), fill];
    onChange({ execType: "TRADE", order: o, fill, tradeId: tradeIdOf(o, o.fills.length - 1), maker });
  }

  function bnbPrice(quoteAsset: string): number {
    const price = Number(opts.price(`BNB${quoteAsset}`));
    if (!(price > 0)) throw new Error(`fake Binance: commission in BNB needs a price for BNB${quoteAsset}`);
    return price;
  }

  /** Fills what is left of `o` at `price` (a SELL leg's base comes out of `locked`). */
  function fill(o: FakeOrder, price: string, fromLocked: boolean, maker: boolean): void {
    execute(o, leftOf(o), price, fromLocked, maker);
  }

  function renderList(l: FakeOrderList, withReports: boolean) {
    const legs = [orderById(l.belowOrderId), orderById(l.aboveOrderId)];
    return {
      orderListId: l.orderListId,
      contingencyType: "OCO",
      listStatusType: l.listStatusType,
      listOrderStatus: l.listOrderStatus,
      listClientOrderId: l.listClientOrderId,
      transactionTime: l.transactionTime,
      symbol: l.symbol,
      orders: legs.map((o) => ({ symbol: o.symbol, orderId: o.orderId, clientOrderId: o.clientOrderId })),
      ...(withReports ? { orderReports: legs } : {}),
    };
  }

  /**
   * Ends a working list: `filled` (if any) has filled, every other NEW leg is canceled (under
   * `cancelClientOrderId` when a cancel request named one).
   */
  function finish(
    l: FakeOrderList,
    side: "BUY" | "SELL",
    filled?: FakeOrder,
    cancelClientOrderId?: string,
  ): void {
    for (const leg of [orderById(l.aboveOrderId), orderById(l.belowOrderId)]) {
      if (leg === filled || !isResting(leg)) continue;
      leg.status = "CANCELED";
      onChange({
        execType: "CANCELED",
        order: leg,
        cancelClientOrderId: cancelClientOrderId ?? `fake-cancel-${leg.orderId}`,
      });
    }
    // The quantity a SELL OCO held is released unless a fill consumed it.
    if (side === "SELL" && filled === undefined) {
      // What a leg executed in part came out of the hold already.
      const legs = [orderById(l.aboveOrderId), orderById(l.belowOrderId)];
      const qty =
        Number(orderById(l.aboveOrderId).origQty) - Math.max(...legs.map((o) => Number(o.executedQty)));
      adjust(locked, baseOf(l.symbol), -qty);
      adjust(balances, baseOf(l.symbol), qty);
    }
    l.listStatusType = "ALL_DONE";
    l.listOrderStatus = "ALL_DONE";
    l.transactionTime = Date.now();
  }

  /** Part of an OCO's LIMIT_MAKER leg trades: the other leg is canceled, the list works on. */
  function partialLegFill(leg: FakeOrder, quantity: string): void {
    const l = orderLists.find((x) => x.aboveOrderId === leg.orderId || x.belowOrderId === leg.orderId);
    if (l === undefined) throw new Error(`fake Binance spot: order ${leg.orderId} is in no list`);
    execute(
      leg,
      checkPartial(leg.clientOrderId, quantity, leftOf(leg)),
      leg.price,
      leg.side === "SELL",
      true,
    );
    const other = orderById(leg.orderId === l.aboveOrderId ? l.belowOrderId : l.aboveOrderId);
    if (other.status !== "NEW") return;
    other.status = "CANCELED";
    onChange({ execType: "CANCELED", order: other, cancelClientOrderId: `fake-cancel-${other.orderId}` });
    l.transactionTime = Date.now();
  }

  const levelOf = (o: FakeOrder) => Number(o.type === "LIMIT_MAKER" ? o.price : o.stopPrice);

  const state: FakeExchange = {
    orders,
    orderLists,
    balances,
    locked,
    canTrade: true,
    bookDepth: new Map(),
    addOpenOrder(o) {
      const order: FakeOrder = {
        symbol: o.symbol,
        orderId: nextId++,
        orderListId: -1,
        clientOrderId: o.clientOrderId,
        price: o.price,
        origQty: o.quantity,
        executedQty: "0",
        cummulativeQuoteQty: "0",
        status: "NEW",
        type: "LIMIT",
        side: o.side,
        time: Date.now(),
      };
      orders.push(order);
      onChange({ execType: "NEW", order });
    },
    trigger(symbol) {
      const price = opts.price(symbol);
      if (price === undefined) return [];
      const last = Number(price);
      const filled: FakeOrder[] = [];
      for (const l of orderLists) {
        if (l.symbol !== symbol || l.listOrderStatus !== "EXECUTING") continue;
        const above = orderById(l.aboveOrderId);
        const below = orderById(l.belowOrderId);
        // A leg canceled by the other's partial fill no longer triggers.
        const hit =
          isResting(above) && last >= levelOf(above)
            ? above
            : isResting(below) && last <= levelOf(below)
              ? below
              : undefined;
        if (hit === undefined) continue;
        const maker = hit.type === "LIMIT_MAKER";
        fill(hit, maker ? hit.price : price, hit.side === "SELL", maker);
        finish(l, hit.side, hit);
        filled.push(hit);
      }
      for (const o of orders) {
        if (o.symbol !== symbol || !isRestingLimit(o) || !limitReached(o.side, o.price, price)) continue;
        fill(o, o.price, holding.has(o), true);
        filled.push(o);
      }
      return filled;
    },
    partialFill(clientOrderId, quantity) {
      const leg = orders.findLast(
        (x) => x.clientOrderId === clientOrderId && x.type === "LIMIT_MAKER" && isResting(x),
      );
      if (leg !== undefined) return partialLegFill(leg, quantity);
      const o = orders.findLast((x) => x.clientOrderId === clientOrderId && isRestingLimit(x));
      if (o === undefined) {
        throw new Error(
          `fake Binance spot: partialFill(${clientOrderId}): no resting LIMIT order with that id`,
        );
      }
      execute(o, checkPartial(clientOrderId, quantity, leftOf(o)), o.price, holding.has(o), true);
    },
  };

  /**
   * A MARKET, IOC or FOK order the market reaches: what the book holds (`bookDepth`) executes at
   * the market price (a FOK all or nothing), and the rest EXPIRES.
   */
  function arrive(order: FakeOrder, price: string, fillOrKill: boolean): void {
    const depth = state.bookDepth.get(order.symbol) ?? Number.POSITIVE_INFINITY;
    const qty = Math.min(leftOf(order), depth);
    if (qty > 0 && !(fillOrKill && qty < leftOf(order))) execute(order, qty, price, false, false);
    if (leftOf(order) > 1e-12) expire(order);
  }

  /** An order that ends with what it executed so far (maybe nothing): EXPIRED. */
  function expire(order: FakeOrder): void {
    order.status = "EXPIRED";
    order.fills ??= [];
    onChange({ execType: "EXPIRED", order });
  }

  /**
   * MARKET, or LIMIT: filled at the market price when it reaches the limit (a MARKET, IOC or FOK as
   * far as `bookDepth` allows, the rest EXPIRED); else an IOC or FOK EXPIRES and a GTC rests (NEW),
   * holding its quote (BUY) or base (SELL) in `locked`.
   */
  function newOrder(q: URLSearchParams): Reply {
    const symbol = q.get("symbol") ?? "";
    const side = q.get("side");
    const quantity = q.get("quantity");
    const type = q.get("type");
    const clientOrderId = q.get("newClientOrderId") ?? `fake-${nextId}`;
    if ((type !== "MARKET" && type !== "LIMIT") || (side !== "BUY" && side !== "SELL")) {
      return reject(-1116, "Invalid orderType.");
    }
    const limit = type === "LIMIT" ? limitTerms(q) : undefined;
    if (limit !== undefined && "status" in limit) return limit;
    if (!isDecimal(quantity)) return reject(-1100, "Illegal characters found in parameter 'quantity'.");
    // As on Binance, a client id is unique among open orders only: an ended order's id may be reused.
    if (orders.some((o) => o.clientOrderId === clientOrderId && isResting(o)))
      return reject(-2010, "Duplicate order sent.");
    const price = opts.price(symbol);
    if (price === undefined) return reject(-1121, "Invalid symbol.");
    const order: FakeOrder = {
      symbol,
      orderId: nextId++,
      orderListId: -1,
      clientOrderId,
      price: limit?.price ?? "0.00000000",
      origQty: quantity,
      executedQty: "0",
      cummulativeQuoteQty: "0",
      status: "NEW",
      type,
      side,
      time: Date.now(),
      ...(limit === undefined ? {} : { timeInForce: limit.timeInForce }),
    };
    // Binance reports every order NEW first, then what became of it.
    onChange({ execType: "NEW", order });
    if (limit === undefined) arrive(order, price, false);
    else if (limitReached(side, limit.price, price)) {
      if (limit.timeInForce === "GTC") fill(order, price, false, false);
      else arrive(order, price, limit.timeInForce === "FOK");
    } else if (limit.timeInForce === "GTC") {
      order.fills = [];
      const [asset, amount] = hold(order, Number(quantity));
      adjust(balances, asset, -amount);
      adjust(locked, asset, amount);
      holding.add(order);
    } else expire(order);
    orders.push(order);
    return { status: 200, body: order };
  }

  /** POST /api/v3/orderList/oco with the market-style legs the fake supports (no *_LIMIT types). */
  function newOco(q: URLSearchParams): Reply {
    const symbol = q.get("symbol") ?? "";
    const side = q.get("side");
    const quantity = q.get("quantity");
    const listClientOrderId = q.get("listClientOrderId") ?? `fake-list-${nextListId}`;
    if (side !== "BUY" && side !== "SELL") return reject(-1130, "Invalid data sent for a parameter.");
    if (!isDecimal(quantity)) return reject(-1100, "Illegal characters found in parameter 'quantity'.");
    const price = opts.price(symbol);
    if (price === undefined) return reject(-1121, "Invalid symbol.");
    const legs: FakeOrder[] = [];
    for (const at of ["above", "below"] as const) {
      const type = q.get(`${at}Type`) ?? "";
      if (!LEG_TYPES.includes(type)) return reject(-1116, "Invalid orderType.");
      const level = q.get(type === "LIMIT_MAKER" ? `${at}Price` : `${at}StopPrice`);
      if (!isDecimal(level)) {
        return reject(-1102, "A mandatory parameter was not sent, was empty/null, or malformed.");
      }
      legs.push({
        symbol,
        orderId: nextId + legs.length,
        orderListId: nextListId,
        clientOrderId: q.get(`${at}ClientOrderId`) ?? `fake-${nextId + legs.length}`,
        price: type === "LIMIT_MAKER" ? level : "0.00000000",
        ...(type === "LIMIT_MAKER" ? {} : { stopPrice: level }),
        origQty: quantity,
        executedQty: "0.00000000",
        cummulativeQuoteQty: "0.00000000",
        status: "NEW",
        type: type as FakeOrderType,
        side,
        time: Date.now(),
      });
    }
    const [above, below] = legs as [FakeOrder, FakeOrder];
    if (!(levelOf(above) > Number(price) && Number(price) > levelOf(below))) {
      return reject(-2010, "The relationship of the prices for the orders is not correct.");
    }
    // A list id is reusable only once its list is done; leg ids must be unique among open orders.
    const working = orderLists.some(
      (l) => l.listClientOrderId === listClientOrderId && l.listOrderStatus === "EXECUTING",
    );
    const legTaken = legs.some((leg) =>
      orders.some((o) => isResting(o) && o.clientOrderId === leg.clientOrderId),
    );
    if (working || legTaken) return reject(-2010, "Duplicate order sent.");
    const qty = Number(quantity);
    if (side === "SELL") {
      if ((balances.get(baseOf(symbol)) ?? 0) < qty) {
        return reject(-2010, "Account has insufficient balance for requested action.");
      }
      adjust(balances, baseOf(symbol), -qty);
      adjust(locked, baseOf(symbol), qty);
    }
    nextId += 2;
    orders.push(...legs);
    for (const leg of legs) onChange({ execType: "NEW", order: leg });
    const list: FakeOrderList = {
      orderListId: nextListId++,
      listClientOrderId,
      symbol,
      listStatusType: "EXEC_STARTED",
      listOrderStatus: "EXECUTING",
      transactionTime: Date.now(),
      aboveOrderId: above.orderId,
      belowOrderId: below.orderId,
    };
    orderLists.push(list);
    return { status: 200, body: renderList(list, true) };
  }

  /** The latest list with this id (Binance lets a done list's id be reused). */
  function findList(q: URLSearchParams, idParam: string): FakeOrderList | undefined {
    const byId = q.get("orderListId");
    const byClient = q.get(idParam);
    return orderLists.findLast(
      (l) =>
        (byId === null || String(l.orderListId) === byId) &&
        (byClient === null || l.listClientOrderId === byClient),
    );
  }

  function cancelList(q: URLSearchParams): Reply {
    const symbol = q.get("symbol") ?? "";
    if (opts.price(symbol) === undefined) return reject(-1121, "Invalid symbol.");
    const l = findList(q, "listClientOrderId");
    if (l === undefined || l.symbol !== symbol || l.listOrderStatus !== "EXECUTING") {
      return reject(-2011, "Unknown order list sent.");
    }
    finish(l, orderById(l.aboveOrderId).side, undefined, q.get("newClientOrderId") ?? undefined);
    return { status: 200, body: renderList(l, true) };
  }

  /**
   * DELETE /api/v3/order: cancels a NEW or PARTIALLY_FILLED order (what executed stays), releasing
   * what it held (a leg cancels its whole OCO). Answers Binance's cancel shape, where
   * `origClientOrderId` is the order's id and `clientOrderId` the cancel's own.
   */
  function cancelOrder(q: URLSearchParams): Reply {
    const symbol = q.get("symbol") ?? "";
    if (opts.price(symbol) === undefined) return reject(-1121, "Invalid symbol.");
    const byId = q.get("orderId");
    const byClient = q.get("origClientOrderId");
    if (byId === null && byClient === null) {
      return reject(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
    }
    const o = orders.findLast(
      (x) =>
        x.symbol === symbol &&
        (byId === null || String(x.orderId) === byId) &&
        (byClient === null || x.clientOrderId === byClient),
    );
    if (o === undefined || !isResting(o)) return reject(-2011, "Unknown order sent.");
    const cancelClientOrderId = q.get("newClientOrderId") ?? `fake-cancel-${nextId++}`;
    const list = orderLists.find((l) => l.orderListId === o.orderListId);
    if (list !== undefined) finish(list, o.side, undefined, cancelClientOrderId);
    else {
      if (holding.has(o)) {
        const [asset, amount] = hold(o, leftOf(o));
        adjust(locked, asset, -amount);
        adjust(balances, asset, amount);
        holding.delete(o);
      }
      o.status = "CANCELED";
      onChange({ execType: "CANCELED", order: o, cancelClientOrderId });
    }
    return {
      status: 200,
      body: {
        symbol: o.symbol,
        origClientOrderId: o.clientOrderId,
        orderId: o.orderId,
        orderListId: o.orderListId,
        clientOrderId: cancelClientOrderId,
        transactTime: Date.now(),
        price: o.price,
        origQty: o.origQty,
        executedQty: o.executedQty,
        cummulativeQuoteQty: o.cummulativeQuoteQty,
        status: o.status,
        timeInForce: o.timeInForce ?? "GTC",
        type: o.type,
        side: o.side,
        selfTradePreventionMode: "EXPIRE_MAKER",
      },
    };
  }

  /** Answers a trading request, or undefined when the path is not a spot trading endpoint. */
  function handle(method: string, url: URL, apiKey: string | undefined): Reply | undefined {
    const key = `${method} ${url.pathname}`;
    // Public: the last price of a symbol the fake quotes.
    if (key === "GET /api/v3/ticker/price") return tickerPrice(url.searchParams.get("symbol"), opts.price);
    if (!SPOT_PATHS.includes(key)) return undefined;
    const denied = authenticate(url, apiKey, opts);
    if (denied) return denied;
    const q = url.searchParams;
    switch (key) {
      case "POST /api/v3/order":
        return newOrder(q);
      case "GET /api/v3/order": {
        // The latest order of that id, as DELETE and partialFill take it (an ended id may be reused).
        const found = orders.findLast(
          (o) =>
            o.symbol === q.get("symbol") &&
            o.clientOrderId === q.get("origClientOrderId") &&
            Date.now() - o.time >= (opts.lookupLagMs ?? 0),
        );
        return found ? { status: 200, body: withoutFills(found) } : reject(-2013, "Order does not exist.");
      }
      case "GET /api/v3/openOrders": {
        const symbol = q.get("symbol");
        return {
          status: 200,
          body: orders
            .filter((o) => isResting(o) && (symbol === null || o.symbol === symbol))
            .map(withoutFills),
        };
      }
      case "GET /api/v3/myTrades": {
        const found = orders.find(
          (o) => o.symbol === q.get("symbol") && String(o.orderId) === q.get("orderId"),
        );
        return { status: 200, body: found === undefined ? [] : tradesOf(found) };
      }
      case "POST /api/v3/orderList/oco":
        return newOco(q);
      case "GET /api/v3/orderList": {
        const l = findList(q, "origClientOrderId");
        return l ? { status: 200, body: renderList(l, false) } : reject(-2013, "Order list does not exist.");
      }
      case "DELETE /api/v3/orderList":
        return cancelList(q);
      case "DELETE /api/v3/order":
        return cancelOrder(q);
      default:
        return {
          status: 200,
          body: {
            canTrade: state.canTrade,
            balances: [...new Set([...balances.keys(), ...locked.keys()])].map((asset) => ({
              asset,
              free: fmt(balances.get(asset) ?? 0),
              locked: fmt(locked.get(asset) ?? 0),
            })),
          },
        };
    }
  }

  return { state, handle };
}
