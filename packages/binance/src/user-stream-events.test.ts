import { describe, expect, it } from "vitest";
import { readUserEvent, UserStreamFrameError } from "./user-stream-events.js";

// Shaped as Binance documents them (spot user-data-stream.md; USD-M Event-Order-Update).
const executionReport = {
  e: "executionReport",
  E: 1499405658658,
  s: "ETHBTC",
  c: "mUvoqJxFIILMdfAW5iGSOW",
  S: "BUY",
  o: "LIMIT",
  f: "GTC",
  q: "1.00000000",
  p: "0.10264410",
  g: -1,
  C: "",
  x: "TRADE",
  X: "PARTIALLY_FILLED",
  r: "NONE",
  i: 4293153,
  l: "0.40000000",
  z: "0.40000000",
  L: "0.10264410",
  n: "0",
  N: null,
  T: 1499405658657,
  t: 12,
  w: true,
  m: false,
  Z: "0.04105764",
};

const orderTradeUpdate = {
  e: "ORDER_TRADE_UPDATE",
  E: 1568879465651,
  T: 1568879465650,
  o: {
    s: "BTCUSDT",
    c: "TEST",
    S: "SELL",
    o: "TRAILING_STOP_MARKET",
    f: "GTC",
    q: "0.001",
    p: "0",
    ap: "0",
    sp: "7103.04",
    x: "NEW",
    X: "NEW",
    i: 8886774,
    l: "0",
    z: "0",
    L: "0",
    N: "USDT",
    n: "0",
    T: 1568879465650,
    t: 0,
    R: false,
    ps: "BOTH",
  },
};

describe("readUserEvent", () => {
  it("reads a spot executionReport as the order's update", () => {
    expect(readUserEvent(executionReport)).toEqual({
      kind: "order",
      update: {
        symbol: "ETHBTC",
        clientOrderId: "mUvoqJxFIILMdfAW5iGSOW",
        execution: "TRADE",
        status: "PARTIALLY_FILLED",
        executedQty: "0.40000000",
        eventTime: 1499405658658,
      },
    });
  });

  it("names a canceled spot order by its original client id (C), not the cancel request's (c)", () => {
    const r = readUserEvent({
      ...executionReport,
      c: "cancel-req-1",
      C: "tw-entry-1",
      x: "CANCELED",
      X: "CANCELED",
    });
    expect(r.kind === "order" && r.update.clientOrderId).toBe("tw-entry-1");
  });

  it("reads a USD-M ORDER_TRADE_UPDATE from its `o`", () => {
    const r = readUserEvent(orderTradeUpdate);
    expect(r).toMatchObject({
      kind: "order",
      update: { symbol: "BTCUSDT", clientOrderId: "TEST", status: "NEW" },
    });
  });

  it("says when the exchange ends the stream, and passes over events it does not follow", () => {
    expect(readUserEvent({ e: "listenKeyExpired", E: 1, listenKey: "k" })).toEqual({
      kind: "ended",
      reason: "listenKeyExpired",
    });
    expect(readUserEvent({ e: "eventStreamTerminated", E: 1 }).kind).toBe("ended");
    expect(readUserEvent({ e: "outboundAccountPosition", E: 1, B: [] })).toEqual({
      kind: "other",
      event: "outboundAccountPosition",
    });
  });

  it("names the field and value of a frame it cannot read", () => {
    expect(() => readUserEvent({ ...executionReport, z: 0.4 })).toThrow(UserStreamFrameError);
    expect(() => readUserEvent({ ...executionReport, z: 0.4 })).toThrow(/executionReport\.z = 0\.4/);
    expect(() => readUserEvent({ ...orderTradeUpdate, o: { ...orderTradeUpdate.o, c: null } })).toThrow(
      /ORDER_TRADE_UPDATE\.o\.c = null/,
    );
    expect(() => readUserEvent("pong")).toThrow(/event/);
  });
});

describe("ALGO_UPDATE", () => {
  // USD-M Event-Algo-Order-Update, as Binance documents it.
  const algoUpdate = {
    e: "ALGO_UPDATE",
    T: 1750515742297,
    E: 1750515742303,
    o: {
      caid: "Q5xaq5EGKgXXa0fD7fs0Ip",
      aid: 2148719,
      at: "CONDITIONAL",
      o: "TAKE_PROFIT",
      s: "BNBUSDT",
      S: "SELL",
      ps: "BOTH",
      f: "GTC",
      q: "0.01",
      X: "CANCELED",
      ai: "",
      ap: "0.00000",
      aq: "0.00000",
      act: "0",
      tp: "750",
      p: "750",
      V: "EXPIRE_MAKER",
      wt: "CONTRACT_PRICE",
      pm: "NONE",
      cp: false,
      pP: false,
      R: false,
      tt: 0,
      gtd: 0,
      rm: "Reduce Only reject",
    },
  };

  it("reads a conditional order's change as an update of its client algo id (caid)", () => {
    expect(readUserEvent(algoUpdate)).toEqual({
      kind: "order",
      update: {
        symbol: "BNBUSDT",
        clientOrderId: "Q5xaq5EGKgXXa0fD7fs0Ip",
        execution: "CANCELED",
        status: "CANCELED",
        executedQty: "0.00000",
        eventTime: 1750515742303,
      },
    });
    expect(() => readUserEvent({ ...algoUpdate, o: { ...algoUpdate.o, caid: 7 } })).toThrow(
      /ALGO_UPDATE\.o\.caid = 7/,
    );
  });
});
