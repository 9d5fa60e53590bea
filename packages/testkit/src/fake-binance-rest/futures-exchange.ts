import { authenticate, type FakeCredentials } from "./auth.js";
import {
  applyFill,
  type FakeAlgoOrder,
  type FakeFutures,
  type FakeFuturesOrder,
  type FakeFuturesOrderChange,
  type FakeFuturesTrade,
  type FakePosition,
  reached,
  sideSign,
} from "./futures-model.js";
import {
  checkPartial,
  isDecimal,
  limitReached,
  limitTerms,
  qtyString,
  type Reply,
  reject,
  tickerPrice,
} from "./trading.js";

export type {
  FakeAlgoOrder,
  FakeFutures,
  FakeFuturesOrder,
  FakeFuturesOrderChange,
  FakeFuturesTrade,
} from "./futures-model.js";

export interface FakeFuturesOptions extends FakeCredentials {
  /**
   * Mark price per symbol: MARKET orders fill at it; `trigger` compares conditional orders and
   * resting LIMITs with it.
   */
  price: (symbol: string) => string | undefined;
  /** Taker fee rate charged in USDT on every fill (default 0.0005). */
  feeRate?: number;
  /** Leverage of a symbol nobody set (default 20). */
  defaultLeverage?: number;
  /** USDT deposited before any trade (default 10,000): the wallet moves by realized PnL and fees. */
  walletBalance?: number;
}

const PATHS = [
  "POST /fapi/v1/order",
  "GET /fapi/v1/order",
  "DELETE /fapi/v1/order",
  "GET /fapi/v1/openOrders",
  "POST /fapi/v1/algoOrder",
  "GET /fapi/v1/algoOrder",
  "DELETE /fapi/v1/algoOrder",
  "GET /fapi/v1/openAlgoOrders",
  "GET /fapi/v3/positionRisk",
  "GET /fapi/v3/account",
  "POST /fapi/v1/leverage",
  "GET /fapi/v1/userTrades",
  "GET /fapi/v1/positionSide/dual",
];
const fmt = (n: number) => n.toFixed(8);
const NO_ORDER = () => reject(-2013, "Order does not exist.");
const UNKNOWN_ORDER = () => reject(-2011, "Unknown order sent.");
const DUPLICATE = () => reject(-4116, "ClientOrderId is duplicated.");
const REDUCE_ONLY = () => reject(-2022, "ReduceOnly Order is rejected.");
/** A LIMIT still working on the book. */
const isResting = (o: FakeFuturesOrder) => o.status === "NEW" || o.status === "PARTIALLY_FILLED";
const leftOf = (o: FakeFuturesOrder) => Number(o.origQty) - Number(o.executedQty);

/**
 * The signed USD-M endpoints of the fake: market and limit orders (GTC ones rest until `trigger`
 * or `partialFill`), conditional (algo) orders, positions. `onChange` hears every change of an
 * order's status or executed quantity, in the order they happen (algo orders themselves are not
 * orders: the order a triggered one places is); `onAlgoChange` hears an algo order placed,
 * canceled, finished or rejected (Binance's ALGO_UPDATE).
 */
export function createFakeFutures(
  opts: FakeFuturesOptions,
  onChange: (change: FakeFuturesOrderChange) => void = () => {},
  onAlgoChange: (algo: FakeAlgoOrder) => void = () => {},
) {
  const orders: FakeFuturesOrder[] = [];
  const algoOrders: FakeAlgoOrder[] = [];
  const trades: FakeFuturesTrade[] = [];
  const positions = new Map<string, FakePosition>();
  const leverage = new Map<string, number>();
  let nextId = 5000;
  let nextAlgoId = 9000;
  let nextTradeId = 100;

  /** The size a reduce-only order on `side` may close: > 0 only against an open position. */
  const reducible = (symbol: string, side: "BUY" | "SELL") => {
    const amt = positions.get(symbol)?.amt ?? 0;
    return Math.sign(amt) === -sideSign(side) ? Math.abs(amt) : 0;
  };

  /**
   * Executes `qty` more of `order` at `price`: moves the position, records the trade (with its
   * commission) and updates the order's executed quantity, average price and status. `maker`: the
   * order rested on the book and something traded against it.
   */
  function fillPart(order: FakeFuturesOrder, qty: number, price: number, maker: boolean): void {
    const quote = qty * price;
    const fill = applyFill(positions.get(order.symbol) ?? { amt: 0, entry: 0 }, order.side, qty, price);
    positions.set(order.symbol, fill.position);
    const before = Number(order.executedQty);
    const executed = before + qty;
    const done = executed >= Number(order.origQty) - 1e-12;
    order.avgPrice = qtyString((before * Number(order.avgPrice) + quote) / executed);
    order.executedQty = done ? order.origQty : qtyString(executed);
    order.cumQuote = fmt(Number(order.cumQuote) + quote);
    order.status = done ? "FILLED" : "PARTIALLY_FILLED";
    order.updateTime = Date.now();
    const trade: FakeFuturesTrade = {
      id: nextTradeId++,
      orderId: order.orderId,
      symbol: order.symbol,
      side: order.side,
      price: String(price),
      qty: qtyString(qty),
      quoteQty: fmt(quote),
      commission: fmt(quote * (opts.feeRate ?? 0.0005)),
      commissionAsset: "USDT",
      realizedPnl: fmt(fill.realizedPnl),
      time: order.updateTime,
    };
    trades.push(trade);
    onChange({ execType: "TRADE", order, trade, maker });
  }

  /**
   * A new order: filled in full at the mark price when it is a MARKET or a LIMIT the price reaches;
   * otherwise a GTC rests (NEW) and an IOC or FOK expires with nothing executed.
   */
  function execute(
    symbol: string,
    side: "BUY" | "SELL",
    qty: number,
    clientOrderId: string,
    reduceOnly: boolean,
    limit?: FakeFuturesOrder["limit"],
  ) {
    const mark = opts.price(symbol) ?? "0";
    const fills = limit === undefined || limitReached(side, limit.price, mark);
    const order: FakeFuturesOrder = {
      orderId: nextId++,
      symbol,
      clientOrderId,
      status: "NEW",
      type: limit === undefined ? "MARKET" : "LIMIT",
      side,
      reduceOnly,
      origQty: String(qty),
      executedQty: "0",
      avgPrice: "0",
      cumQuote: "0",
      updateTime: Date.now(),
      ...(limit === undefined ? {} : { limit }),
    };
    orders.push(order);
    // Binance reports every order NEW first, then what became of it.
    onChange({ execType: "NEW", order });
    if (fills) fillPart(order, qty, Number(mark), false);
    else if (limit?.timeInForce !== "GTC") {
      order.status = "EXPIRED";
      onChange({ execType: "EXPIRED", order });
    }
    return order;
  }

  /** The order as `/fapi/v1/order` answers it (RESULT shape). */
  const render = ({ limit, ...o }: FakeFuturesOrder) => ({
    ...o,
    price: limit?.price ?? "0",
    cumQty: o.executedQty,
    timeInForce: limit?.timeInForce ?? "GTC",
    origType: o.type,
    positionSide: "BOTH",
    stopPrice: "0",
    closePosition: false,
    workingType: "CONTRACT_PRICE",
    priceProtect: false,
  });
  const renderAlgo = (o: FakeAlgoOrder) => ({
    ...o,
    algoType: "CONDITIONAL",
    positionSide: "BOTH",
    timeInForce: "GTC",
    price: "0",
    closePosition: false,
    priceProtect: false,
  });

  const state: FakeFutures = {
    orders,
    algoOrders,
    trades,
    positions,
    leverage,
    dualSidePosition: false,
    cancelAlgo(clientAlgoId) {
      const o = algoOrders.find((a) => a.clientAlgoId === clientAlgoId && a.algoStatus === "NEW");
      if (o === undefined)
        throw new Error(`fake Binance futures: cancelAlgo(${clientAlgoId}): no working algo order`);
      o.algoStatus = "CANCELED";
      o.updateTime = Date.now();
      onAlgoChange(o);
    },
    trigger(symbol) {
      const price = opts.price(symbol);
      if (price === undefined) return [];
      const triggered: FakeAlgoOrder[] = [];
      for (const o of algoOrders) {
        if (o.symbol !== symbol || o.algoStatus !== "NEW" || !reached(o, Number(price))) continue;
        const now = Date.now();
        o.triggerTime = now;
        o.updateTime = now;
        const qty = Math.min(Number(o.quantity), o.reduceOnly ? reducible(symbol, o.side) : Infinity);
        if (qty <= 0) {
          o.algoStatus = "REJECTED";
        } else {
          // The triggered order reaches the matching engine under the algo order's client id.
          const placed = execute(symbol, o.side, qty, o.clientAlgoId, o.reduceOnly);
          o.algoStatus = "FINISHED";
          o.actualOrderId = String(placed.orderId);
          o.actualPrice = placed.avgPrice;
        }
        onAlgoChange(o);
        triggered.push(o);
      }
      for (const o of orders) {
        if (o.symbol !== symbol || o.limit === undefined || !isResting(o)) continue;
        if (!limitReached(o.side, o.limit.price, price)) continue;
        const qty = o.reduceOnly ? Math.min(leftOf(o), reducible(symbol, o.side)) : leftOf(o);
        if (qty > 0) fillPart(o, qty, Number(o.limit.price), true);
        // A reduce-only order left with nothing to reduce expires, keeping what executed.
        if (isResting(o)) {
          o.status = "EXPIRED";
          o.updateTime = Date.now();
          onChange({ execType: "EXPIRED", order: o });
        }
      }
      return triggered;
    },
    partialFill(clientOrderId, quantity) {
      const o = orders.findLast((x) => x.clientOrderId === clientOrderId && isResting(x));
      if (o?.limit === undefined) {
        throw new Error(
          `fake Binance futures: partialFill(${clientOrderId}): no resting LIMIT order with that id`,
        );
      }
      const qty = checkPartial(clientOrderId, quantity, leftOf(o));
      if (o.reduceOnly && qty > reducible(o.symbol, o.side) + 1e-12) {
        throw new Error(
          `fake Binance futures: partialFill(${clientOrderId}): reduce-only ${quantity} exceeds the open position`,
        );
      }
      fillPart(o, qty, Number(o.limit.price), true);
    },
  };

  function newOrder(q: URLSearchParams): Reply {
    const symbol = q.get("symbol") ?? "";
    const side = q.get("side");
    const quantity = q.get("quantity");
    const reduceOnly = q.get("reduceOnly") === "true";
    const limit = q.get("type") === "LIMIT" ? limitTerms(q) : undefined;
    if (limit !== undefined && "status" in limit) return limit;
    if (q.get("type") !== "MARKET" && limit === undefined) {
      const type = q.get("type") ?? "";
      if (
        ["STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"].includes(type)
      ) {
        return reject(
          -4120,
          "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.",
        );
      }
      return reject(-1116, "Invalid orderType.");
    }
    if (side !== "BUY" && side !== "SELL") return reject(-1117, "Invalid side.");
    if (!isDecimal(quantity)) return reject(-1100, "Illegal characters found in parameter 'quantity'.");
    if (opts.price(symbol) === undefined) return reject(-1121, "Invalid symbol.");
    const clientOrderId = q.get("newClientOrderId") ?? `fake-f-${nextId}`;
    // Binance asks for a unique id among open orders; the fake, like the trade engine's retry
    // protocol, also refuses the id of a filled order.
    if (orders.some((o) => o.symbol === symbol && o.clientOrderId === clientOrderId)) return DUPLICATE();
    const qty = Number(quantity);
    if (reduceOnly && qty > reducible(symbol, side)) return REDUCE_ONLY();
    const order = execute(symbol, side, qty, clientOrderId, reduceOnly, limit);
    // Whatever newOrderRespType asks, the fake answers RESULT: FILLED or EXPIRED, NEW for a resting GTC.
    return { status: 200, body: render(order) };
  }

  function newAlgoOrder(q: URLSearchParams): Reply {
    const symbol = q.get("symbol") ?? "";
    const side = q.get("side");
    const type = q.get("type");
    const quantity = q.get("quantity");
    const triggerPrice = q.get("triggerPrice");
    if (q.get("algoType") !== "CONDITIONAL") return reject(-1130, "Invalid data sent for a parameter.");
    if (type !== "STOP_MARKET" && type !== "TAKE_PROFIT_MARKET") return reject(-1116, "Invalid orderType.");
    if (side !== "BUY" && side !== "SELL") return reject(-1117, "Invalid side.");
    if (!isDecimal(quantity) || !isDecimal(triggerPrice)) {
      return reject(-1102, "A mandatory parameter was not sent, was empty/null, or malformed.");
    }
    const price = opts.price(symbol);
    if (price === undefined) return reject(-1121, "Invalid symbol.");
    const clientAlgoId = q.get("clientAlgoId") ?? `fake-algo-${nextAlgoId}`;
    if (algoOrders.some((o) => o.clientAlgoId === clientAlgoId)) return DUPLICATE();
    const order: Pick<FakeAlgoOrder, "side" | "orderType" | "triggerPrice"> = {
      side,
      orderType: type,
      triggerPrice,
    };
    if (reached(order, Number(price))) return reject(-2021, "Order would immediately trigger.");
    const now = Date.now();
    const algo: FakeAlgoOrder = {
      algoId: nextAlgoId++,
      clientAlgoId,
      symbol,
      ...order,
      quantity,
      workingType: q.get("workingType") ?? "CONTRACT_PRICE",
      reduceOnly: q.get("reduceOnly") === "true",
      algoStatus: "NEW",
      actualOrderId: "",
      actualPrice: "0.00000",
      createTime: now,
      updateTime: now,
      triggerTime: 0,
    };
    algoOrders.push(algo);
    onAlgoChange(algo);
    // As Binance answers a new algo order: its query fields (actualOrderId, actualPrice) come later.
    const { actualOrderId: _id, actualPrice: _price, ...placed } = renderAlgo(algo);
    return { status: 200, body: placed };
  }

  const findAlgo = (q: URLSearchParams) =>
    algoOrders.find((o) => String(o.algoId) === q.get("algoId") || o.clientAlgoId === q.get("clientAlgoId"));
  const findOrder = (q: URLSearchParams) =>
    orders.find(
      (o) =>
        o.symbol === q.get("symbol") &&
        (String(o.orderId) === q.get("orderId") || o.clientOrderId === q.get("origClientOrderId")),
    );

  function positionRisk(symbol: string | null) {
    return [...positions]
      .filter(([s, p]) => p.amt !== 0 && (symbol === null || s === symbol))
      .map(([s, p]) => {
        const mark = Number(opts.price(s));
        return {
          symbol: s,
          positionSide: "BOTH",
          positionAmt: String(p.amt),
          entryPrice: String(p.entry),
          breakEvenPrice: "0.0",
          markPrice: String(mark),
          unRealizedProfit: fmt((mark - p.entry) * p.amt),
          liquidationPrice: "0",
          notional: fmt(mark * p.amt),
          marginAsset: "USDT",
          updateTime: Date.now(),
        };
      });
  }

  /** Single-asset mode totals, in USDT: the wallet is the deposit plus realized PnL less fees. */
  function account() {
    const wallet = trades.reduce(
      (sum, t) => sum + Number(t.realizedPnl) - Number(t.commission),
      opts.walletBalance ?? 10_000,
    );
    const unrealized = positionRisk(null).reduce((sum, p) => sum + Number(p.unRealizedProfit), 0);
    return {
      totalWalletBalance: fmt(wallet),
      totalUnrealizedProfit: fmt(unrealized),
      totalMarginBalance: fmt(wallet + unrealized),
      assets: [{ asset: "USDT", walletBalance: fmt(wallet), unrealizedProfit: fmt(unrealized) }],
    };
  }

  function setLeverage(q: URLSearchParams): Reply {
    const symbol = q.get("symbol") ?? "";
    const value = Number(q.get("leverage"));
    if (opts.price(symbol) === undefined) return reject(-1121, "Invalid symbol.");
    if (!Number.isInteger(value) || value < 1 || value > 125) {
      return reject(-4028, `Leverage ${q.get("leverage")} is not valid`);
    }
    leverage.set(symbol, value);
    return {
      status: 200,
      body: { symbol, leverage: value, maxNotionalValue: String(Math.floor(50_000_000 / value)) },
    };
  }

  /** Answers a USD-M request, or undefined when the path is not one of the fake's futures endpoints. */
  function handle(method: string, url: URL, apiKey: string | undefined): Reply | undefined {
    const key = `${method} ${url.pathname}`;
    // Public: the last price of a symbol the fake quotes.
    if (key === "GET /fapi/v1/ticker/price") return tickerPrice(url.searchParams.get("symbol"), opts.price);
    if (!PATHS.includes(key)) return undefined;
    const denied = authenticate(url, apiKey, opts);
    if (denied) return denied;
    const q = url.searchParams;
    const symbol = q.get("symbol");
    switch (key) {
      case "POST /fapi/v1/order":
        return newOrder(q);
      case "GET /fapi/v1/order": {
        const o = findOrder(q);
        return o ? { status: 200, body: render(o) } : NO_ORDER();
      }
      case "DELETE /fapi/v1/order": {
        const o = findOrder(q);
        // A resting LIMIT (executed part kept) cancels; a filled, expired or canceled one is unknown.
        if (o === undefined || !isResting(o)) return UNKNOWN_ORDER();
        o.status = "CANCELED";
        o.updateTime = Date.now();
        onChange({ execType: "CANCELED", order: o });
        return { status: 200, body: render(o) };
      }
      case "GET /fapi/v1/openOrders":
        return {
          status: 200,
          body: orders.filter((o) => isResting(o) && (symbol === null || o.symbol === symbol)).map(render),
        };
      case "POST /fapi/v1/algoOrder":
        return newAlgoOrder(q);
      case "GET /fapi/v1/algoOrder": {
        const o = findAlgo(q);
        return o ? { status: 200, body: renderAlgo(o) } : NO_ORDER();
      }
      case "DELETE /fapi/v1/algoOrder": {
        const o = findAlgo(q);
        if (o === undefined || o.algoStatus !== "NEW") return UNKNOWN_ORDER();
        o.algoStatus = "CANCELED";
        o.updateTime = Date.now();
        onAlgoChange(o);
        return {
          status: 200,
          body: { algoId: o.algoId, clientAlgoId: o.clientAlgoId, code: "200", msg: "success" },
        };
      }
      case "GET /fapi/v1/openAlgoOrders":
        return {
          status: 200,
          body: algoOrders
            .filter((o) => o.algoStatus === "NEW" && (symbol === null || o.symbol === symbol))
            .map(renderAlgo),
        };
      case "GET /fapi/v3/positionRisk":
        return { status: 200, body: positionRisk(symbol) };
      case "GET /fapi/v3/account":
        return { status: 200, body: account() };
      case "POST /fapi/v1/leverage":
        return setLeverage(q);
      case "GET /fapi/v1/positionSide/dual":
        return { status: 200, body: { dualSidePosition: state.dualSidePosition } };
      default:
        return {
          status: 200,
          body: trades.filter(
            (t) =>
              t.symbol === symbol && (q.get("orderId") === null || String(t.orderId) === q.get("orderId")),
          ),
        };
    }
  }

  return { state, handle };
}
