/** The user data stream events of the fake, rendered from its order changes as Binance sends them. */
import type { FakeOrderChange } from "./exchange.js";
import type { FakeAlgoOrder, FakeFuturesOrderChange } from "./futures-model.js";

/** Spot `executionReport` (https://developers.binance.com/docs/binance-spot-api-docs/user-data-stream). */
export interface SpotExecutionReport {
  e: "executionReport";
  E: number;
  s: string;
  /** The order's client id; on a cancel, the cancel request's own id. */
  c: string;
  S: "BUY" | "SELL";
  o: string;
  f: string;
  q: string;
  p: string;
  P: string;
  /** Order list id, -1 when the order is not a leg of one. */
  g: number;
  /** The canceled order's client id on a cancel, else "". */
  C: string;
  x: "NEW" | "TRADE" | "CANCELED" | "EXPIRED";
  X: "NEW" | "PARTIALLY_FILLED" | "FILLED" | "CANCELED" | "EXPIRED";
  r: "NONE";
  i: number;
  l: string;
  z: string;
  L: string;
  n: string;
  N: string | null;
  T: number;
  t: number;
  w: boolean;
  m: boolean;
  O: number;
  Z: string;
  Y: string;
  Q: string;
}

/** What a spot subscription carries: order updates and, on unsubscribe, the stream's end. */
export type SpotUserEvent = SpotExecutionReport | { e: "eventStreamTerminated"; E: number };

/** USD-M `ORDER_TRADE_UPDATE` (Event-Order-Update in the derivatives docs). */
export interface FuturesOrderTradeUpdate {
  e: "ORDER_TRADE_UPDATE";
  E: number;
  T: number;
  o: {
    s: string;
    c: string;
    S: "BUY" | "SELL";
    o: string;
    f: string;
    q: string;
    p: string;
    ap: string;
    sp: string;
    x: "NEW" | "TRADE" | "CANCELED" | "EXPIRED";
    X: "NEW" | "PARTIALLY_FILLED" | "FILLED" | "CANCELED" | "EXPIRED";
    i: number;
    l: string;
    z: string;
    L: string;
    N: string;
    n: string;
    T: number;
    t: number;
    b: string;
    a: string;
    m: boolean;
    R: boolean;
    wt: string;
    ot: string;
    ps: "BOTH";
    cp: boolean;
    rp: string;
    pP: boolean;
    si: number;
    ss: number;
    V: string;
    pm: string;
    gtd: number;
  };
}

/** USD-M `ALGO_UPDATE`: a conditional order placed, canceled, triggered, finished or rejected. */
export interface FuturesAlgoUpdate {
  e: "ALGO_UPDATE";
  T: number;
  E: number;
  o: {
    caid: string;
    aid: number;
    at: "CONDITIONAL";
    o: string;
    s: string;
    S: string;
    ps: "BOTH";
    f: "GTC";
    q: string;
    X: string;
    ai: string;
    ap: string;
    aq: string;
    tp: string;
    wt: string;
    R: boolean;
  };
}

/** What a futures listenKey stream carries: order and algo order updates, and the key's expiry. */
export type FuturesUserEvent =
  | FuturesOrderTradeUpdate
  | FuturesAlgoUpdate
  | { e: "listenKeyExpired"; E: number; listenKey: string };

/** The ALGO_UPDATE of a conditional order as it is at `now`. */
export function algoUpdate(a: FakeAlgoOrder, now: number): FuturesAlgoUpdate {
  const finished = a.algoStatus === "FINISHED";
  return {
    e: "ALGO_UPDATE",
    T: a.updateTime ?? now,
    E: now,
    o: {
      caid: a.clientAlgoId,
      aid: a.algoId,
      at: "CONDITIONAL",
      o: a.orderType,
      s: a.symbol,
      S: a.side,
      ps: "BOTH",
      f: "GTC",
      q: a.quantity,
      X: a.algoStatus,
      ai: a.actualOrderId,
      ap: finished ? a.actualPrice : "0.00000",
      aq: finished ? a.quantity : "0.00000",
      tp: a.triggerPrice,
      wt: a.workingType,
      R: a.reduceOnly,
    },
  };
}

const ZERO = "0.00000000";
/** Orders that sit on the book while working (a stop waits off the book until it triggers). */
const BOOK_TYPES: readonly string[] = ["LIMIT", "LIMIT_MAKER"];

/** The executionReport of one spot order change at `now`. */
export function executionReport(change: FakeOrderChange, now: number): SpotExecutionReport {
  const o = change.order;
  const trade = change.execType === "TRADE" ? change : undefined;
  const canceled = change.execType === "CANCELED" ? change : undefined;
  const working = o.status === "NEW" || o.status === "PARTIALLY_FILLED";
  return {
    e: "executionReport",
    E: now,
    s: o.symbol,
    c: canceled?.cancelClientOrderId ?? o.clientOrderId,
    S: o.side,
    o: o.type,
    f: o.timeInForce ?? "GTC",
    q: o.origQty,
    p: o.price,
    P: o.stopPrice ?? ZERO,
    g: o.orderListId,
    C: canceled === undefined ? "" : o.clientOrderId,
    x: change.execType,
    X: o.status,
    r: "NONE",
    i: o.orderId,
    l: trade?.fill.qty ?? ZERO,
    z: o.executedQty,
    L: trade?.fill.price ?? ZERO,
    n: trade?.fill.commission ?? "0",
    N: trade?.fill.commissionAsset ?? null,
    T: now,
    t: trade?.tradeId ?? -1,
    w: working && BOOK_TYPES.includes(o.type),
    m: trade?.maker ?? false,
    O: o.time,
    Z: o.cummulativeQuoteQty,
    Y: trade === undefined ? ZERO : (Number(trade.fill.qty) * Number(trade.fill.price)).toFixed(8),
    Q: ZERO,
  };
}

/** The ORDER_TRADE_UPDATE of one futures order change at `now`. */
export function orderTradeUpdate(change: FakeFuturesOrderChange, now: number): FuturesOrderTradeUpdate {
  const o = change.order;
  const trade = change.execType === "TRADE" ? change.trade : undefined;
  return {
    e: "ORDER_TRADE_UPDATE",
    E: now,
    T: o.updateTime,
    o: {
      s: o.symbol,
      c: o.clientOrderId,
      S: o.side,
      o: o.type,
      f: o.limit?.timeInForce ?? "GTC",
      q: o.origQty,
      p: o.limit?.price ?? "0",
      ap: o.avgPrice,
      sp: "0",
      x: change.execType,
      X: o.status,
      i: o.orderId,
      l: trade?.qty ?? "0",
      z: o.executedQty,
      L: trade?.price ?? "0",
      N: trade?.commissionAsset ?? "USDT",
      n: trade?.commission ?? "0",
      T: o.updateTime,
      t: trade?.id ?? 0,
      b: "0",
      a: "0",
      m: change.execType === "TRADE" && change.maker,
      R: o.reduceOnly,
      wt: "CONTRACT_PRICE",
      ot: o.type,
      ps: "BOTH",
      cp: false,
      rp: trade?.realizedPnl ?? "0",
      pP: false,
      si: 0,
      ss: 0,
      V: "NONE",
      pm: "NONE",
      gtd: 0,
    },
  };
}
