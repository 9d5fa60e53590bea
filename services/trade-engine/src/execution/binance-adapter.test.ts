import {
  BinanceError,
  type FuturesFill,
  type FuturesOrder,
  type FuturesOrders,
  type SpotOrder,
  type SpotOrders,
} from "@tradewire/binance";
import { createSilentLogger } from "@tradewire/logger";
import { describe, expect, it } from "vitest";
import { BinanceAdapter } from "./binance-adapter.js";
import { FuturesVenue } from "./futures-venue.js";
import { SpotVenue } from "./spot-venue.js";

const order = {
  symbol: "BTCUSDT",
  side: "BUY" as const,
  quantity: "0.001",
  clientOrderId: "tw-1",
  quote: { bid: 100, ask: 101, at: Date.now() },
  resumed: false,
  reduceOnly: false,
  leverage: 1,
};
const filled: SpotOrder = {
  symbol: "BTCUSDT",
  orderId: "7",
  clientOrderId: "tw-1",
  status: "FILLED",
  executedQty: "0.001",
  cummulativeQuoteQty: "0.101",
} as SpotOrder;
const timeout = () => new BinanceError("TIMEOUT", "POST /api/v3/order timed out", true);

/** A spot venue whose calls answer from the given scripts, in order. */
function exchange(submits: Array<() => SpotOrder>, lookups: Array<() => SpotOrder | undefined>): SpotVenue {
  return new SpotVenue({
    newMarketOrder: async () => (submits.shift() ?? (() => filled))(),
    findByClientId: async () => (lookups.shift() ?? (() => undefined))(),
  } as unknown as SpotOrders);
}

describe("BinanceAdapter readiness", () => {
  it("is not ready after a transient failure, and recovers on the next success", async () => {
    const adapter = new BinanceAdapter(
      "testnet",
      exchange(
        [
          () => {
            throw timeout();
          },
          () => filled,
        ],
        [() => undefined],
      ),
      createSilentLogger(),
    );
    await expect(adapter.submit(order)).rejects.toThrow(/timed out/);
    expect(adapter.isReady()).toBe(false);
    await expect(adapter.submit(order)).resolves.toMatchObject({ kind: "filled", orderId: "7" });
    expect(adapter.isReady()).toBe(true);
  });

  it("recovers by itself a minute after the last failure, with no order to prove it", async () => {
    const adapter = new BinanceAdapter(
      "testnet",
      exchange(
        [
          () => {
            throw timeout();
          },
        ],
        [() => undefined],
      ),
      createSilentLogger(),
    );
    await expect(adapter.submit(order)).rejects.toThrow();
    expect(adapter.isReady(Date.now() + 30_000)).toBe(false);
    expect(adapter.isReady(Date.now() + 61_000)).toBe(true);
  });

  it("keeps the submit error as the cause when the lookup after it fails too (F31)", async () => {
    const adapter = new BinanceAdapter(
      "testnet",
      exchange(
        [
          () => {
            throw timeout();
          },
        ],
        [
          () => {
            throw new Error("lookup: connection reset");
          },
        ],
      ),
      createSilentLogger(),
    );
    const error = await adapter.submit(order).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /tw-1 failed \(POST \/api\/v3\/order timed out\) and its lookup failed/,
    );
    const cause = (error as Error).cause as AggregateError;
    expect(cause.errors.map((e: Error) => e.message)).toEqual([
      "POST /api/v3/order timed out",
      "lookup: connection reset",
    ]);
  });
});

describe("BinanceAdapter outcomes", () => {
  it("reports an order the exchange answers as still working (NEW, partly filled) as resting, not as rejected or filled", async () => {
    for (const status of ["NEW", "PARTIALLY_FILLED"]) {
      const working = { ...filled, status, executedQty: status === "NEW" ? "0" : "0.0005" } as SpotOrder;
      const adapter = new BinanceAdapter("testnet", exchange([() => working], []), createSilentLogger());
      expect(await adapter.submit(order)).toEqual({ kind: "resting", orderId: "7", recovered: false });
    }
    const expired = { ...filled, status: "EXPIRED", executedQty: "0" } as SpotOrder;
    const adapter = new BinanceAdapter("testnet", exchange([() => expired], []), createSilentLogger());
    expect(await adapter.submit(order)).toMatchObject({
      kind: "rejected",
      reason: expect.stringMatching(/^exchange_expired/),
    });
  });

  it("reports a fill priced under a millionth in plain decimals, as the order event schema takes them (never 7e-7)", async () => {
    const tiny = {
      ...filled,
      symbol: "BTTCUSDT",
      executedQty: "1000000",
      cummulativeQuoteQty: "0.7",
      fills: [{ price: "0.0000007", qty: "1000000", commission: "0.00000007", commissionAsset: "USDT" }],
    } as SpotOrder;
    const adapter = new BinanceAdapter("testnet", exchange([() => tiny], []), createSilentLogger());
    const result = await adapter.submit({ ...order, symbol: "BTTCUSDT", quantity: "1000000" });
    expect(result).toMatchObject({ kind: "filled", price: "0.0000007", fee: "0.00000007" });
    expect(String(0.7 / 1_000_000)).toBe("7e-7");
  });
});

describe("BinanceAdapter on USD-M, whose answers carry no fees", () => {
  const taken = {
    symbol: "BTCUSDT",
    orderId: "9",
    clientOrderId: "tw-1",
    status: "FILLED",
    executedQty: "0.001",
    avgPrice: "100",
  } as FuturesOrder;
  const trade = {
    qty: "0.001",
    quoteQty: "0.1",
    commission: "0.00004",
    commissionAsset: "USDT",
  } as FuturesFill;
  /** A venue whose order is taken and found, and whose trades lookups answer from `trades`, in order. */
  const venue = (trades: Array<() => FuturesFill[]>) =>
    new FuturesVenue({
      setLeverage: async () => {},
      newMarketOrder: async () => taken,
      findByClientId: async () => taken,
      fills: async () => (trades.shift() ?? (() => [trade]))(),
    } as unknown as FuturesOrders);
  const unparsable = () => {
    throw new BinanceError("INVALID_RESPONSE", "/fapi/v1/userTrades: unexpected response", false);
  };
  const unavailable = () => {
    throw new BinanceError("SERVER", "/fapi/v1/userTrades: 503", true);
  };

  it("records an order whose fees cannot be read on its lookup either as filled, with them unread, never as refused", async () => {
    const adapter = new BinanceAdapter("testnet", venue([unparsable, unparsable]), createSilentLogger());
    expect(await adapter.submit(order)).toMatchObject({
      kind: "filled",
      orderId: "9",
      quantity: "0.001",
      fee: "0",
      feesUnread: "/fapi/v1/userTrades: unexpected response",
      recovered: true,
    });
  });

  it("adds up an order's trades in decimals for its fees read late (0.012 + 0.006 is 0.018, not 0.018000000000000002)", async () => {
    const trades = [
      { ...trade, qty: "0.012" },
      { ...trade, qty: "0.006" },
    ];
    expect(await venue([() => trades]).orderFees("BTCUSDT", "9")).toEqual({
      fee: 0.00008,
      feeAsset: "USDT",
      baseFee: 0,
      otherFees: [],
      quantity: "0.018",
    });
  });

  it("looks up again, rather than taking the fees as unread, when their lookup failed for a reason that may pass", async () => {
    const adapter = new BinanceAdapter("testnet", venue([unparsable, unavailable]), createSilentLogger());
    await expect(adapter.submit(order)).rejects.toThrow(/its lookup failed too/);
    // The next attempt (a redelivery, resumed) reads them.
    expect(await adapter.submit({ ...order, resumed: true })).toMatchObject({
      kind: "filled",
      fee: "0.00004",
      recovered: true,
    });
    expect(await adapter.submit({ ...order, resumed: true })).not.toHaveProperty("feesUnread");
  });
});
