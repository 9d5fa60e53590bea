import { createSilentLogger } from "@tradewire/logger";
import { type FakeBinanceRest, startFakeBinanceRest } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BinanceError } from "../src/errors.js";
import { WeightRateLimiter } from "../src/rate-limiter.js";
import { BinanceRest } from "../src/rest.js";
import { ocoLegClientIds, SpotOrders } from "../src/spot-orders.js";

const silent = createSilentLogger();
let fake: FakeBinanceRest;
let price: string;
let spot: SpotOrders;

beforeEach(async () => {
  price = "28000";
  fake = await startFakeBinanceRest({
    series: {},
    exchange: {
      apiKey: "k",
      apiSecret: "s",
      price: (symbol) => (symbol === "BTCUSDT" ? price : undefined),
    },
  });
  const rest = new BinanceRest({
    baseUrl: fake.url,
    limiter: new WeightRateLimiter({ limitPerMinute: 6000, share: 1, logger: silent }),
    logger: silent,
    credentials: { apiKey: "k", apiSecret: "s" },
  });
  spot = new SpotOrders(rest);
  await spot.newMarketOrder({ symbol: "BTCUSDT", side: "BUY", quantity: "0.01", clientOrderId: "tw-entry" });
});
afterEach(() => fake.close());

const protect = (listClientOrderId: string) =>
  spot.newOco({
    symbol: "BTCUSDT",
    side: "SELL",
    quantity: "0.01",
    takeProfitPrice: "29000",
    stopPrice: "27000",
    listClientOrderId,
  });

describe("spot OCO protection against the fake Binance", () => {
  it("places a take-profit and a stop that rest as two open legs of one list", async () => {
    const list = await protect("tw-oco-1");
    expect(list).toMatchObject({ listClientOrderId: "tw-oco-1", listOrderStatus: "EXECUTING" });
    expect(list.orders).toHaveLength(2);
    const open = await spot.openOrders("BTCUSDT");
    expect(open.map((o) => [o.clientOrderId, o.type, o.status]).sort()).toEqual([
      ["tw-oco-1-sl", "STOP_LOSS", "NEW"],
      ["tw-oco-1-tp", "LIMIT_MAKER", "NEW"],
    ]);
    expect(open.every((o) => String(o.orderListId) === list.orderListId)).toBe(true);
    const btc = (await spot.balances()).find((b) => b.asset === "BTC");
    expect(btc).toMatchObject({ free: "0.00000000", locked: "0.01000000" });
  });

  it("answers the working list when the same list id is placed again", async () => {
    const first = await protect("tw-oco-dup");
    const again = await protect("tw-oco-dup");
    expect(again.orderListId).toBe(first.orderListId);
    expect(fake.exchange?.orderLists).toHaveLength(1);
    expect(await spot.openOrders("BTCUSDT")).toHaveLength(2);
  });

  it("fills the stop and cancels the take-profit when the price falls through the stop", async () => {
    await protect("tw-oco-2");
    price = "27500";
    expect(fake.exchange?.trigger("BTCUSDT")).toEqual([]);
    price = "26900";
    expect(fake.exchange?.trigger("BTCUSDT").map((o) => o.clientOrderId)).toEqual(["tw-oco-2-sl"]);
    const stop = await spot.findByClientId("BTCUSDT", "tw-oco-2-sl");
    // A lookup carries no fills, as on Binance: the fee is in the order's trades.
    expect(stop).toMatchObject({ status: "FILLED", executedQty: "0.01" });
    expect(stop?.fills).toBeUndefined();
    expect(await spot.trades("BTCUSDT", stop?.orderId ?? "")).toMatchObject([
      { price: "26900", qty: "0.01", commission: "0.26900000", commissionAsset: "USDT" },
    ]);
    expect(await spot.findByClientId("BTCUSDT", "tw-oco-2-tp")).toMatchObject({ status: "CANCELED" });
    expect(await spot.findOrderList("tw-oco-2")).toMatchObject({
      listStatusType: "ALL_DONE",
      listOrderStatus: "ALL_DONE",
    });
    expect(await spot.openOrders("BTCUSDT")).toEqual([]);
    const balances = await spot.balances();
    expect(balances.find((b) => b.asset === "BTC")).toMatchObject({
      free: "0.00000000",
      locked: "0.00000000",
    });
    // Bought 0.01 at 28000 (fee 0.28), sold at 26900 (fee 0.269).
    expect(Number(balances.find((b) => b.asset === "USDT")?.free)).toBeCloseTo(-280.28 + 269 - 0.269, 6);
  });

  it("fills the take-profit at its limit price when the price rises to it", async () => {
    await protect("tw-oco-3");
    price = "29100";
    fake.exchange?.trigger("BTCUSDT");
    expect(await spot.findByClientId("BTCUSDT", "tw-oco-3-tp")).toMatchObject({
      status: "FILLED",
      cummulativeQuoteQty: "290.00000000",
    });
    expect(await spot.findByClientId("BTCUSDT", "tw-oco-3-sl")).toMatchObject({ status: "CANCELED" });
  });

  it("cancels a working list, releasing its quantity; a second cancel finds nothing", async () => {
    await protect("tw-oco-4");
    const canceled = await spot.cancelOrderList("BTCUSDT", "tw-oco-4");
    expect(canceled?.listOrderStatus).toBe("ALL_DONE");
    expect(canceled?.orderReports?.map((o) => o.status)).toEqual(["CANCELED", "CANCELED"]);
    expect(await spot.openOrders("BTCUSDT")).toEqual([]);
    expect((await spot.balances()).find((b) => b.asset === "BTC")).toMatchObject({ free: "0.01000000" });
    expect(await spot.cancelOrderList("BTCUSDT", "tw-oco-4")).toBeUndefined();
    expect(await spot.findOrderList("tw-never-placed")).toBeUndefined();
  });

  it("reads whether the API key may trade spot", async () => {
    expect(await spot.canTrade()).toBe(true);
    if (fake.exchange) fake.exchange.canTrade = false;
    expect(await spot.canTrade()).toBe(false);
  });

  it("passes on real rejections: prices on the wrong side of the market, an unknown symbol", async () => {
    const wrong = await spot
      .newOco({
        symbol: "BTCUSDT",
        side: "SELL",
        quantity: "0.01",
        takeProfitPrice: "27500",
        stopPrice: "27000",
        listClientOrderId: "tw-oco-5",
      })
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(BinanceError);
    expect(wrong).toMatchObject({ code: "REJECTED", details: { binanceCode: -2010 } });
    await expect(
      spot.newOco({
        symbol: "NOPEUSDT",
        side: "SELL",
        quantity: "1",
        takeProfitPrice: "2",
        stopPrice: "1",
        listClientOrderId: "tw-oco-6",
      }),
    ).rejects.toMatchObject({ details: { binanceCode: -1121 } });
  });

  it("derives leg ids that fit Binance's 36 characters, the same on every retry", () => {
    expect(ocoLegClientIds("tw-oco-1")).toEqual({ takeProfit: "tw-oco-1-tp", stop: "tw-oco-1-sl" });
    const long = "intent-0123456789abcdef0123456789ab";
    const legs = ocoLegClientIds(long);
    expect(legs.takeProfit).toHaveLength(36);
    expect(legs.stop).toHaveLength(36);
    expect(legs.takeProfit).not.toBe(legs.stop);
    expect(ocoLegClientIds(long)).toEqual(legs);
    expect(ocoLegClientIds(`${long.slice(0, -1)}c`).stop).not.toBe(legs.stop);
  });
});

describe("spot LIMIT IOC/FOK against the fake Binance", () => {
  const limit = (side: "BUY" | "SELL", limitPrice: string, timeInForce: "IOC" | "FOK" | "GTC", id: string) =>
    spot.newLimitOrder({
      symbol: "BTCUSDT",
      side,
      quantity: "0.005",
      price: limitPrice,
      timeInForce,
      clientOrderId: id,
    });

  it("fills at once at the market when the limit reaches it, never above the limit", async () => {
    const order = await limit("BUY", "28100", "IOC", "tw-l-1");
    expect(order).toMatchObject({ status: "FILLED", type: "LIMIT", price: "28100", executedQty: "0.005" });
    expect(order.fills?.[0]?.price).toBe("28000");
    expect(fake.exchange?.orders.at(-1)).toMatchObject({ clientOrderId: "tw-l-1", timeInForce: "IOC" });
  });

  it("expires with nothing executed when the market is beyond the limit", async () => {
    const sell = await limit("SELL", "28100", "FOK", "tw-l-2");
    expect(sell).toMatchObject({ status: "EXPIRED", executedQty: "0", fills: [] });
    const found = await spot.findByClientId("BTCUSDT", "tw-l-2");
    expect(found?.status).toBe("EXPIRED");
  });

  it("executes what a thin book holds and expires the rest of an IOC or MARKET; a FOK larger than the book expires whole", async () => {
    fake.exchange?.bookDepth.set("BTCUSDT", 0.002);
    const ioc = await limit("BUY", "28100", "IOC", "tw-l-4");
    expect(ioc).toMatchObject({ status: "EXPIRED", executedQty: "0.002" });
    expect(ioc.fills?.map((f) => [f.qty, f.price])).toEqual([["0.002", "28000"]]);
    const market = await spot.newMarketOrder({
      symbol: "BTCUSDT",
      side: "SELL",
      quantity: "0.005",
      clientOrderId: "tw-l-5",
    });
    expect(market).toMatchObject({ status: "EXPIRED", executedQty: "0.002" });
    const fok = await limit("BUY", "28100", "FOK", "tw-l-6");
    expect(fok).toMatchObject({ status: "EXPIRED", executedQty: "0", fills: [] });
    // What executed moved the balance, and no more: 0.01 bought at the start, +0.002, -0.002.
    expect(fake.exchange?.balances.get("BTC")).toBeCloseTo(0.01, 12);
  });

  it("says that the fake does not simulate GTX (post-only) rather than pretending", async () => {
    await expect(limit("BUY", "27000", "GTX" as "GTC", "tw-l-3")).rejects.toThrow(
      /LIMIT GTX is not simulated/,
    );
  });
});

describe("spot LIMIT GTC against the fake Binance", () => {
  const gtc = (side: "BUY" | "SELL", limitPrice: string, id: string) =>
    spot.newLimitOrder({
      symbol: "BTCUSDT",
      side,
      quantity: "0.005",
      price: limitPrice,
      timeInForce: "GTC",
      clientOrderId: id,
    });
  const balance = async (asset: string) => (await spot.balances()).find((b) => b.asset === asset);

  it("rests a GTC below the market as NEW, listed in open orders, holding its quote", async () => {
    const order = await gtc("BUY", "27000", "tw-g-1");
    expect(order).toMatchObject({
      status: "NEW",
      type: "LIMIT",
      price: "27000",
      executedQty: "0",
      fills: [],
    });
    expect(await spot.openOrders("BTCUSDT")).toMatchObject([{ clientOrderId: "tw-g-1", status: "NEW" }]);
    expect(await spot.findByClientId("BTCUSDT", "tw-g-1")).toMatchObject({ status: "NEW", executedQty: "0" });
    expect(await balance("USDT")).toMatchObject({ locked: "135.00000000" });
  });

  it("partially fills a resting GTC, then fills the rest at its limit price when the price reaches it", async () => {
    await gtc("BUY", "27000", "tw-g-2");
    fake.exchange?.partialFill("tw-g-2", "0.002");
    expect(await spot.findByClientId("BTCUSDT", "tw-g-2")).toMatchObject({
      status: "PARTIALLY_FILLED",
      executedQty: "0.002",
      cummulativeQuoteQty: "54.00000000",
    });
    expect((await spot.openOrders("BTCUSDT")).map((o) => o.status)).toEqual(["PARTIALLY_FILLED"]);
    price = "27100";
    expect(fake.exchange?.trigger("BTCUSDT")).toEqual([]);
    price = "26900";
    expect(fake.exchange?.trigger("BTCUSDT").map((o) => o.clientOrderId)).toEqual(["tw-g-2"]);
    const filled = await spot.findByClientId("BTCUSDT", "tw-g-2");
    expect(filled).toMatchObject({
      status: "FILLED",
      executedQty: "0.005",
      cummulativeQuoteQty: "135.00000000",
    });
    const trades = await spot.trades("BTCUSDT", filled?.orderId ?? "");
    expect(trades.map((f) => [f.price, f.qty, f.commission])).toEqual([
      ["27000", "0.002", "0.05400000"],
      ["27000", "0.003", "0.08100000"],
    ]);
    expect(await spot.openOrders("BTCUSDT")).toEqual([]);
    expect(await balance("BTC")).toMatchObject({ free: "0.01500000", locked: "0.00000000" });
    expect(await balance("USDT")).toMatchObject({ locked: "0.00000000" });
    // Bought 0.01 at 28000 (fee 0.28), then 0.005 at 27000 (fee 0.135).
    expect(Number((await balance("USDT"))?.free)).toBeCloseTo(-280.28 - 135.135, 6);
    expect(() => fake.exchange?.partialFill("tw-g-2", "0.001")).toThrow(/no resting LIMIT/);
  });

  it("fills a GTC the price already reaches on arrival, in full at the market", async () => {
    const order = await gtc("BUY", "28100", "tw-g-3");
    expect(order).toMatchObject({ status: "FILLED", executedQty: "0.005" });
    expect(order.fills?.[0]?.price).toBe("28000");
    expect(await spot.openOrders("BTCUSDT")).toEqual([]);
  });

  it("cancels a resting GTC by client id, keeping what executed and releasing what it held", async () => {
    await gtc("SELL", "29000", "tw-g-4");
    expect(await balance("BTC")).toMatchObject({ free: "0.00500000", locked: "0.00500000" });
    expect(() => fake.exchange?.partialFill("tw-g-4", "0.006")).toThrow(/exceeds the 0.005 left/);
    fake.exchange?.partialFill("tw-g-4", "0.002");
    const canceled = await spot.cancelByClientId("BTCUSDT", "tw-g-4");
    expect(canceled).toMatchObject({
      clientOrderId: "tw-g-4",
      status: "CANCELED",
      executedQty: "0.002",
      cummulativeQuoteQty: "58.00000000",
      origQty: "0.005",
    });
    expect(fake.requests.at(-1)).toMatchObject({ path: "/api/v3/order", status: 200 });
    expect(await spot.openOrders("BTCUSDT")).toEqual([]);
    expect(await balance("BTC")).toMatchObject({ free: "0.00800000", locked: "0.00000000" });
    expect(await spot.cancelByClientId("BTCUSDT", "tw-g-4")).toBeUndefined();
  });

  it("answers undefined when canceling a filled or unknown order", async () => {
    await gtc("BUY", "27000", "tw-g-5");
    price = "26000";
    fake.exchange?.trigger("BTCUSDT");
    expect(await spot.cancelByClientId("BTCUSDT", "tw-g-5")).toBeUndefined();
    expect(await spot.cancelByClientId("BTCUSDT", "tw-entry")).toBeUndefined();
    expect(await spot.cancelByClientId("BTCUSDT", "tw-never-placed")).toBeUndefined();
    expect(fake.requests.at(-1)).toMatchObject({ path: "/api/v3/order", status: 400 });
  });
});
