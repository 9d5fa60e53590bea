import { createSilentLogger } from "@tradewire/logger";
import { type FakeBinanceRest, startFakeBinanceRest, waitFor } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FuturesOrders } from "../src/futures-orders.js";
import { WeightRateLimiter } from "../src/rate-limiter.js";
import { BinanceRest } from "../src/rest.js";
import { SpotOrders } from "../src/spot-orders.js";
import {
  FuturesUserStream,
  runUserStream,
  SpotUserStream,
  type UserStreamSource,
} from "../src/user-stream.js";
import type { OrderUpdate } from "../src/user-stream-events.js";

const silent = createSilentLogger();
let fake: FakeBinanceRest;
let price: string;
let rest: BinanceRest;
let stop: AbortController;
let running: Promise<void> | undefined;

beforeEach(async () => {
  price = "30000";
  const venue = {
    apiKey: "k",
    apiSecret: "s",
    price: (symbol: string) => (symbol === "BTCUSDT" ? price : undefined),
  };
  fake = await startFakeBinanceRest({ series: {}, exchange: venue, futures: venue });
  rest = new BinanceRest({
    baseUrl: fake.url,
    limiter: new WeightRateLimiter({ limitPerMinute: 6000, share: 1, logger: silent }),
    logger: silent,
    credentials: { apiKey: "k", apiSecret: "s" },
  });
  stop = new AbortController();
  running = undefined;
});
afterEach(async () => {
  stop.abort();
  await running;
  await fake.close();
});

const streams = () => {
  const s = fake.userStreams;
  if (s === undefined) throw new Error("the fake has no user data streams");
  return s;
};
const wsApi = () => `${fake.url.replace(/^http/, "ws")}/ws-api/v3`;
const privateWs = () => `${fake.url.replace(/^http/, "ws")}/private/ws`;

/** Runs the stream, recording what it reports. */
function follow(source: UserStreamSource, opts: { pingIntervalMs?: number; keepAliveMs?: number } = {}) {
  const seen = { subscribed: 0, updates: [] as OrderUpdate[], lost: [] as string[] };
  running = runUserStream({
    source,
    logger: silent,
    signal: stop.signal,
    backoff: { initialMs: 50, maxMs: 200 },
    ...opts,
    handlers: {
      onSubscribed: () => void seen.subscribed++,
      onUpdate: (u) => void seen.updates.push(u),
      onLost: (reason) => void seen.lost.push(reason),
      onAlive: () => {},
    },
  });
  return seen;
}
const spotSource = (apiSecret = "s") => new SpotUserStream({ url: wsApi(), apiKey: "k", apiSecret });

describe("user data streams against the fake Binance", () => {
  it("spot: subscribes on the WebSocket API and reports a resting order's fills and its cancel by its own id", async () => {
    const seen = follow(spotSource());
    await waitFor("subscribed", async () => seen.subscribed === 1, 5_000);
    const spot = new SpotOrders(rest);
    await spot.newLimitOrder({
      symbol: "BTCUSDT",
      side: "BUY",
      quantity: "0.01",
      price: "29000",
      timeInForce: "GTC",
      clientOrderId: "tw-gtc-1",
    });
    fake.exchange?.partialFill("tw-gtc-1", "0.004");
    await spot.cancelByClientId("BTCUSDT", "tw-gtc-1");
    await waitFor("three updates", async () => seen.updates.length >= 3, 5_000);
    expect(seen.updates.map((u) => [u.clientOrderId, u.execution, u.status, u.executedQty])).toEqual([
      ["tw-gtc-1", "NEW", "NEW", expect.stringMatching(/^0(\.0*)?$/)],
      ["tw-gtc-1", "TRADE", "PARTIALLY_FILLED", expect.stringMatching(/^0\.004/)],
      ["tw-gtc-1", "CANCELED", "CANCELED", expect.stringMatching(/^0\.004/)],
    ]);
    expect(seen.lost).toEqual([]);
  });

  it("spot: a subscription refused for its signature is reported with Binance's code and retried", async () => {
    const seen = follow(spotSource("wrong-secret"));
    await waitFor("refused twice", async () => seen.lost.length >= 2, 5_000);
    expect(seen.lost[0]).toMatch(/userDataStream\.subscribe\.signature rejected: -1022/);
    expect(seen.subscribed).toBe(0);
  });

  it("F39: a socket that stops answering pings is dropped and subscribed again", async () => {
    const seen = follow(spotSource(), { pingIntervalMs: 100 });
    await waitFor("subscribed", async () => seen.subscribed === 1, 5_000);
    streams().freeze();
    await waitFor("dropped and back", async () => seen.subscribed >= 2, 5_000);
    expect(seen.lost[0]).toBe("no pong within 100 ms");
  });

  it("F38: stopping closes the socket and ends the loop", async () => {
    const seen = follow(spotSource());
    await waitFor("subscribed", async () => seen.subscribed === 1, 5_000);
    expect(streams().connections()).toBe(1);
    stop.abort();
    await running;
    await waitFor("closed", async () => streams().connections() === 0, 5_000);
    expect(seen.lost).toEqual([]);
  });

  it("futures: the listenKey goes in the path, as Binance's User Data Streams page shows it, keeping the URL's query", async () => {
    const source = new FuturesUserStream({ url: `${privateWs()}/?events=ORDER_TRADE_UPDATE`, rest });
    const sub = await source.prepare(stop.signal);
    const key = streams().listenKey();
    expect(key).toBeDefined();
    expect(sub.url).toBe(`${privateWs()}/${key}?events=ORDER_TRADE_UPDATE`);
    // A stream-mode connection wraps events as {stream, data}; a ws-mode one sends them bare.
    const event = { e: "ORDER_TRADE_UPDATE", E: 1 };
    expect(sub.eventOf({ stream: key, data: event })).toEqual(event);
    expect(sub.eventOf(event)).toEqual(event);
  });

  it("futures: a listenKey on the private route, kept alive, and replaced when it expires", async () => {
    const seen = follow(new FuturesUserStream({ url: privateWs(), rest }), { keepAliveMs: 100 });
    await waitFor("subscribed", async () => seen.subscribed === 1, 5_000);
    await waitFor(
      "a keepalive",
      async () =>
        fake.requests.some((r) => r.path === "/fapi/v1/listenKey" && r.status === 200 && r.method === "PUT"),
      5_000,
    );
    const futures = new FuturesOrders(rest);
    await futures.newLimitOrder({
      symbol: "BTCUSDT",
      side: "SELL",
      quantity: "0.01",
      price: "31000",
      timeInForce: "GTC",
      clientOrderId: "tw-f-1",
    });
    await waitFor("NEW", async () => seen.updates.some((u) => u.clientOrderId === "tw-f-1"), 5_000);
    streams().expireListenKey();
    await waitFor("a new key", async () => seen.subscribed >= 2, 5_000);
    expect(seen.lost[0]).toBe("listenKeyExpired");
    price = "31010";
    fake.futures?.trigger("BTCUSDT");
    await waitFor("FILLED", async () => seen.updates.some((u) => u.status === "FILLED"), 5_000);
    expect(seen.updates.find((u) => u.status === "FILLED")).toMatchObject({
      symbol: "BTCUSDT",
      clientOrderId: "tw-f-1",
      execution: "TRADE",
    });
  });
});
