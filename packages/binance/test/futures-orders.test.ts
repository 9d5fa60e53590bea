import { createSilentLogger } from "@tradewire/logger";
import { type FakeBinanceRest, startFakeBinanceRest } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BinanceError } from "../src/errors.js";
import { FuturesAccount, FuturesOrders } from "../src/futures-orders.js";
import { WeightRateLimiter } from "../src/rate-limiter.js";
import { parse } from "../src/response.js";
import { BinanceRest } from "../src/rest.js";
import { requestWeight } from "../src/weights.js";

const silent = createSilentLogger();
const FEE_RATE = 0.0005;
let fake: FakeBinanceRest;
let mark: string;
let futures: FuturesOrders;

beforeEach(async () => {
  mark = "60000";
  fake = await startFakeBinanceRest({
    series: {},
    futures: {
      apiKey: "k",
      apiSecret: "s",
      feeRate: FEE_RATE,
      price: (symbol) => (symbol === "BTCUSDT" ? mark : undefined),
    },
  });
  futures = new FuturesOrders(
    new BinanceRest({
      baseUrl: fake.url,
      limiter: new WeightRateLimiter({ limitPerMinute: 2400, share: 1, logger: silent }),
      logger: silent,
      credentials: { apiKey: "k", apiSecret: "s" },
    }),
  );
});
afterEach(() => fake.close());

const market = (side: "BUY" | "SELL", quantity: string, clientOrderId: string, reduceOnly?: boolean) =>
  futures.newMarketOrder({ symbol: "BTCUSDT", side, quantity, clientOrderId, reduceOnly });
const protect = (
  side: "BUY" | "SELL",
  kind: "STOP_MARKET" | "TAKE_PROFIT_MARKET",
  stopPrice: string,
  q: string,
) =>
  futures.newProtectiveOrder({
    symbol: "BTCUSDT",
    side,
    kind,
    stopPrice,
    quantity: q,
    clientOrderId: `tw-${kind}-${stopPrice}`,
  });

describe("USD-M futures orders against the fake Binance", () => {
  it("opens a position with a market entry filled at the mark price", async () => {
    const entry = await market("BUY", "0.01", "tw-f-1");
    expect(entry).toMatchObject({
      status: "FILLED",
      avgPrice: "60000",
      executedQty: "0.01",
      reduceOnly: false,
    });
    expect(Number(entry.cumQuote)).toBe(600);
    expect(await futures.positions()).toMatchObject([
      { symbol: "BTCUSDT", positionAmt: "0.01", entryPrice: "60000" },
    ]);
  });

  it("closes with reduce-only, and rejects a reduce-only order that would flip or open (-2022)", async () => {
    await market("BUY", "0.01", "tw-f-2");
    const flip = await market("SELL", "0.02", "tw-f-3", true).catch((e: unknown) => e);
    expect(flip).toBeInstanceOf(BinanceError);
    expect(flip).toMatchObject({ code: "REJECTED", details: { binanceCode: -2022 } });
    expect((flip as Error).message).toContain("ReduceOnly Order is rejected.");
    // The exchange's text, then what the code means.
    expect((flip as Error).message).toContain(
      "(reduce-only order rejected (it would open or increase a position))",
    );
    await expect(market("BUY", "0.01", "tw-f-4", true)).rejects.toMatchObject({
      details: { binanceCode: -2022 },
    });
    mark = "61000";
    expect(await market("SELL", "0.01", "tw-f-5", true)).toMatchObject({
      status: "FILLED",
      reduceOnly: true,
    });
    expect(await futures.positions()).toEqual([]);
    await expect(market("SELL", "0.01", "tw-f-6", true)).rejects.toMatchObject({
      details: { binanceCode: -2022 },
    });
  });

  it("rests a stop and a take-profit in the Algo Service until the mark price reaches the stop", async () => {
    await market("BUY", "0.02", "tw-f-7");
    const stop = await protect("SELL", "STOP_MARKET", "58000", "0.02");
    await protect("SELL", "TAKE_PROFIT_MARKET", "63000", "0.02");
    expect(stop).toMatchObject({
      algoStatus: "NEW",
      reduceOnly: true,
      workingType: "MARK_PRICE",
      // Binance's answer to a new algo order has no actualOrderId: read as "" (not triggered).
      actualOrderId: "",
    });
    expect((await futures.openProtectiveOrders("BTCUSDT")).map((o) => o.orderType).sort()).toEqual([
      "STOP_MARKET",
      "TAKE_PROFIT_MARKET",
    ]);
    // Conditional orders are not regular orders: /fapi/v1/openOrders does not list them.
    expect(await futures.openOrders("BTCUSDT")).toEqual([]);
    mark = "58500";
    expect(fake.futures?.trigger("BTCUSDT")).toEqual([]);
    mark = "57900";
    expect(fake.futures?.trigger("BTCUSDT").map((o) => o.clientAlgoId)).toEqual(["tw-STOP_MARKET-58000"]);
    const done = await futures.findProtectiveOrder("tw-STOP_MARKET-58000");
    expect(done).toMatchObject({ algoStatus: "FINISHED", actualPrice: "57900" });
    expect(done?.actualOrderId).not.toBe("");
    expect(await futures.positions()).toEqual([]);
    const [fill] = await futures.fills("BTCUSDT", done?.actualOrderId ?? "");
    expect(Number(fill?.realizedPnl)).toBeCloseTo(-42, 6);
    expect(await futures.findProtectiveOrder("tw-TAKE_PROFIT_MARKET-63000")).toMatchObject({
      algoStatus: "NEW",
    });
    expect(await futures.cancelProtectiveOrder("tw-TAKE_PROFIT_MARKET-63000")).toMatchObject({
      clientAlgoId: "tw-TAKE_PROFIT_MARKET-63000",
    });
    expect(await futures.cancelProtectiveOrder("tw-TAKE_PROFIT_MARKET-63000")).toBeUndefined();
    expect(await futures.openProtectiveOrders()).toEqual([]);
    expect(await futures.findProtectiveOrder("tw-never-placed")).toBeUndefined();
  });

  it("takes profit on a short when the price falls to the take-profit", async () => {
    await market("SELL", "0.01", "tw-f-8");
    expect(await futures.positions()).toMatchObject([{ positionAmt: "-0.01" }]);
    await protect("BUY", "STOP_MARKET", "62000", "0.01");
    await protect("BUY", "TAKE_PROFIT_MARKET", "58000", "0.01");
    mark = "57000";
    expect(fake.futures?.trigger("BTCUSDT").map((o) => o.orderType)).toEqual(["TAKE_PROFIT_MARKET"]);
    expect(await futures.positions()).toEqual([]);
    expect(await futures.findProtectiveOrder("tw-STOP_MARKET-62000")).toMatchObject({ algoStatus: "NEW" });
  });

  it("closes at most the open position when a larger reduce-only stop triggers", async () => {
    await market("BUY", "0.01", "tw-f-9");
    await protect("SELL", "STOP_MARKET", "59000", "0.05");
    mark = "58000";
    const [triggered] = fake.futures?.trigger("BTCUSDT") ?? [];
    const closed = fake.futures?.orders.find((o) => String(o.orderId) === triggered?.actualOrderId);
    expect(closed).toMatchObject({ executedQty: "0.01", side: "SELL", reduceOnly: true });
    expect(await futures.positions()).toEqual([]);
  });

  it("refuses a protective order that would trigger at once (-2021)", async () => {
    await market("BUY", "0.01", "tw-f-10");
    await expect(protect("SELL", "STOP_MARKET", "61000", "0.01")).rejects.toMatchObject({
      details: { binanceCode: -2021 },
    });
  });

  it("finds an order whose response was lost by its client id, and refuses the id again", async () => {
    fake.fail({ kind: "drop_after", path: "/fapi/v1/order", method: "POST" });
    await expect(market("BUY", "0.01", "tw-f-lost")).rejects.toMatchObject({ code: "NETWORK" });
    expect(await futures.findByClientId("BTCUSDT", "tw-f-lost")).toMatchObject({
      status: "FILLED",
      avgPrice: "60000",
    });
    await expect(market("BUY", "0.01", "tw-f-lost")).rejects.toMatchObject({
      details: { binanceCode: -4116 },
    });
    expect(await futures.positions()).toMatchObject([{ positionAmt: "0.01" }]);
    expect(await futures.findByClientId("BTCUSDT", "tw-f-never")).toBeUndefined();
    expect(await futures.cancelByClientId("BTCUSDT", "tw-f-lost")).toBeUndefined();
  });

  it("fills a LIMIT IOC the mark price reaches at the mark, and expires a FOK it does not reach", async () => {
    const limit = (
      side: "BUY" | "SELL",
      price: string,
      timeInForce: "IOC" | "FOK",
      id: string,
      reduceOnly?: boolean,
    ) =>
      futures.newLimitOrder({
        symbol: "BTCUSDT",
        side,
        quantity: "0.01",
        price,
        timeInForce,
        clientOrderId: id,
        reduceOnly,
      });
    const entry = await limit("SELL", "59900", "IOC", "tw-fl-1");
    expect(entry).toMatchObject({
      status: "FILLED",
      type: "LIMIT",
      price: "59900",
      avgPrice: "60000",
      executedQty: "0.01",
    });
    expect(fake.futures?.positions.get("BTCUSDT")?.amt).toBe(-0.01);
    const close = await limit("BUY", "59000", "FOK", "tw-fl-2", true);
    expect(close).toMatchObject({ status: "EXPIRED", executedQty: "0" });
    expect(fake.futures?.orders.at(-1)?.limit).toEqual({ price: "59000", timeInForce: "FOK" });
    expect(fake.futures?.positions.get("BTCUSDT")?.amt).toBe(-0.01);
    expect(await futures.fills("BTCUSDT", close.orderId)).toEqual([]);
  });

  it("reports each fill's fee at the fee rate, in USDT", async () => {
    const order = await market("BUY", "0.03", "tw-f-11");
    const fills = await futures.fills("BTCUSDT", order.orderId);
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ commissionAsset: "USDT", qty: "0.03", price: "60000" });
    expect(Number(fills[0]?.commission)).toBeCloseTo(Number(order.cumQuote) * FEE_RATE, 8);
  });

  it("sets the leverage of a symbol and rejects one out of range", async () => {
    expect(await futures.setLeverage("BTCUSDT", 5)).toMatchObject({ symbol: "BTCUSDT", leverage: 5 });
    expect(fake.futures?.leverage.get("BTCUSDT")).toBe(5);
    await expect(futures.setLeverage("BTCUSDT", 0)).rejects.toMatchObject({
      details: { binanceCode: -4028 },
    });
    await expect(futures.setLeverage("NOPEUSDT", 5)).rejects.toMatchObject({
      details: { binanceCode: -1121 },
    });
  });

  it("reads the account's position mode: one-way, or hedge with separate LONG and SHORT sides", async () => {
    expect(await futures.positionMode()).toBe("one-way");
    if (fake.futures) fake.futures.dualSidePosition = true;
    expect(await futures.positionMode()).toBe("hedge");
  });

  it("reads the account's margin balance: the wallet moved by realized PnL and fees, plus unrealized PnL", async () => {
    expect(await futures.account()).toMatchObject({
      totalWalletBalance: "10000.00000000",
      totalMarginBalance: "10000.00000000",
    });
    await market("BUY", "0.1", "tw-acc-1");
    mark = "61000";
    await market("SELL", "0.05", "tw-acc-2", true);
    const fees = (0.1 * 60_000 + 0.05 * 61_000) * FEE_RATE;
    const account = await futures.account();
    // 0.05 closed 1,000 up (50 realized); 0.05 still open, 50 unrealized.
    expect(Number(account.totalWalletBalance)).toBeCloseTo(10_000 + 50 - fees, 6);
    expect(Number(account.totalUnrealizedProfit)).toBeCloseTo(50, 6);
    expect(Number(account.totalMarginBalance)).toBeCloseTo(10_000 + 100 - fees, 6);
    expect(requestWeight("/fapi/v3/account")).toBe(5);
  });

  it("refuses an account total that is not a number, naming the field: it would size orders", () => {
    const body = { totalWalletBalance: "10", totalUnrealizedProfit: "0", totalMarginBalance: "" };
    expect(() => parse(FuturesAccount, "GET /fapi/v3/account", body)).toThrow(
      "GET /fapi/v3/account: unexpected response: totalMarginBalance: expected a decimal number",
    );
  });

  it("weighs USD-M calls as Binance does: placements cost no IP weight, listings without a symbol 40", () => {
    expect(requestWeight("/fapi/v1/order", {}, "POST")).toBe(0);
    expect(requestWeight("/fapi/v1/algoOrder", {}, "POST")).toBe(0);
    expect(requestWeight("/fapi/v1/order", {}, "GET")).toBe(1);
    expect(requestWeight("/fapi/v1/openOrders", {})).toBe(40);
    expect(requestWeight("/fapi/v1/openAlgoOrders", { symbol: "BTCUSDT" })).toBe(1);
    expect(requestWeight("/fapi/v3/positionRisk", {})).toBe(5);
    expect(requestWeight("/fapi/v1/userTrades", { symbol: "BTCUSDT" })).toBe(5);
    expect(requestWeight("/fapi/v1/positionSide/dual")).toBe(30);
    expect(requestWeight("/api/v3/orderList", {}, "GET")).toBe(4);
    expect(requestWeight("/api/v3/orderList", {}, "DELETE")).toBe(1);
    expect(requestWeight("/api/v3/order", {}, "DELETE")).toBe(1);
  });
});

describe("USD-M LIMIT GTC against the fake Binance", () => {
  const gtc = (side: "BUY" | "SELL", price: string, id: string, quantity = "0.01", reduceOnly?: boolean) =>
    futures.newLimitOrder({
      symbol: "BTCUSDT",
      side,
      quantity,
      price,
      timeInForce: "GTC",
      clientOrderId: id,
      reduceOnly,
    });

  it("rests a GTC below the mark as NEW, listed in open orders, with nothing executed", async () => {
    const order = await gtc("BUY", "59000", "tw-fg-1");
    expect(order).toMatchObject({
      status: "NEW",
      type: "LIMIT",
      price: "59000",
      executedQty: "0",
      avgPrice: "0",
    });
    expect(await futures.openOrders("BTCUSDT")).toMatchObject([{ clientOrderId: "tw-fg-1", status: "NEW" }]);
    expect(await futures.findByClientId("BTCUSDT", "tw-fg-1")).toMatchObject({ status: "NEW" });
    expect(await futures.positions()).toEqual([]);
    expect(await futures.fills("BTCUSDT", order.orderId)).toEqual([]);
  });

  it("partially fills a resting GTC, then fills the rest at its limit price when the mark reaches it", async () => {
    const order = await gtc("BUY", "59000", "tw-fg-2");
    fake.futures?.partialFill("tw-fg-2", "0.004");
    expect(await futures.findByClientId("BTCUSDT", "tw-fg-2")).toMatchObject({
      status: "PARTIALLY_FILLED",
      executedQty: "0.004",
      avgPrice: "59000",
      cumQuote: "236.00000000",
    });
    expect((await futures.openOrders("BTCUSDT")).map((o) => o.status)).toEqual(["PARTIALLY_FILLED"]);
    expect(await futures.positions()).toMatchObject([{ positionAmt: "0.004", entryPrice: "59000" }]);
    mark = "59500";
    fake.futures?.trigger("BTCUSDT");
    expect(await futures.findByClientId("BTCUSDT", "tw-fg-2")).toMatchObject({ status: "PARTIALLY_FILLED" });
    mark = "58900";
    expect(fake.futures?.trigger("BTCUSDT")).toEqual([]);
    expect(await futures.findByClientId("BTCUSDT", "tw-fg-2")).toMatchObject({
      status: "FILLED",
      executedQty: "0.01",
      avgPrice: "59000",
      cumQuote: "590.00000000",
    });
    expect(await futures.openOrders()).toEqual([]);
    expect(await futures.positions()).toMatchObject([{ positionAmt: "0.01", entryPrice: "59000" }]);
    const fills = await futures.fills("BTCUSDT", order.orderId);
    expect(fills.map((f) => [f.price, f.qty, f.commission])).toEqual([
      ["59000", "0.004", (236 * FEE_RATE).toFixed(8)],
      ["59000", "0.006", (354 * FEE_RATE).toFixed(8)],
    ]);
    expect(() => fake.futures?.partialFill("tw-fg-2", "0.001")).toThrow(/no resting LIMIT/);
  });

  it("fills a GTC the mark already reaches on arrival, in full at the mark", async () => {
    expect(await gtc("BUY", "60500", "tw-fg-3")).toMatchObject({
      status: "FILLED",
      avgPrice: "60000",
      executedQty: "0.01",
    });
    expect(await futures.openOrders()).toEqual([]);
  });

  it("takes profit with a reduce-only GTC at its limit price, realizing the PnL", async () => {
    await market("BUY", "0.01", "tw-fg-4");
    await expect(gtc("SELL", "61000", "tw-fg-5", "0.02", true)).rejects.toMatchObject({
      details: { binanceCode: -2022 },
    });
    const tp = await gtc("SELL", "61000", "tw-fg-6", "0.01", true);
    expect(tp).toMatchObject({ status: "NEW", reduceOnly: true });
    mark = "61200";
    fake.futures?.trigger("BTCUSDT");
    expect(await futures.findByClientId("BTCUSDT", "tw-fg-6")).toMatchObject({
      status: "FILLED",
      avgPrice: "61000",
    });
    expect(await futures.positions()).toEqual([]);
    const [fill] = await futures.fills("BTCUSDT", tp.orderId);
    expect(Number(fill?.realizedPnl)).toBeCloseTo(10, 6);
  });

  it("cancels a resting GTC by client id, keeping what executed; a filled or canceled one answers undefined", async () => {
    await gtc("SELL", "61000", "tw-fg-7");
    expect(() => fake.futures?.partialFill("tw-fg-7", "0.02")).toThrow(/exceeds the 0.01 left/);
    fake.futures?.partialFill("tw-fg-7", "0.003");
    expect(await futures.cancelByClientId("BTCUSDT", "tw-fg-7")).toMatchObject({
      clientOrderId: "tw-fg-7",
      status: "CANCELED",
      executedQty: "0.003",
      avgPrice: "61000",
    });
    expect(await futures.openOrders("BTCUSDT")).toEqual([]);
    expect(await futures.positions()).toMatchObject([{ positionAmt: "-0.003" }]);
    expect(await futures.cancelByClientId("BTCUSDT", "tw-fg-7")).toBeUndefined();
    await market("BUY", "0.003", "tw-fg-8");
    expect(await futures.cancelByClientId("BTCUSDT", "tw-fg-8")).toBeUndefined();
  });
});
