import { createHmac } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type FakeBinanceRest, startFakeBinanceRest } from "../src/fake-binance-rest/server.js";
import type {
  FuturesOrderTradeUpdate,
  FuturesUserEvent,
  SpotExecutionReport,
  SpotUserEvent,
} from "../src/fake-binance-rest/user-events.js";
import { waitFor } from "../src/wait.js";

const API_KEY = "user-stream-key";
const API_SECRET = "user-stream-secret";
const hmac = (payload: string, secret = API_SECRET) =>
  createHmac("sha256", secret).update(payload).digest("hex");

/** A frame of either stream, as the tests read it. */
interface Frame {
  id?: string | number | null;
  status?: number;
  result?: { subscriptionId?: number };
  error?: { code: number; msg: string };
  subscriptionId?: number;
  event?: SpotUserEvent;
  e?: FuturesUserEvent["e"];
}

let fake: FakeBinanceRest;
let price: string;
let closed: boolean;

beforeEach(async () => {
  price = "28000";
  closed = false;
  const venue = { apiKey: API_KEY, apiSecret: API_SECRET, price: () => price };
  fake = await startFakeBinanceRest({ series: {}, exchange: venue, futures: venue });
});
afterEach(async () => {
  if (!closed) await fake.close();
});

/** A REST call with the API key header, signed (timestamp + HMAC of the query) unless `signed` is false. */
async function rest<Body = Record<string, unknown>>(
  method: string,
  path: string,
  params: Record<string, string> = {},
  signed = true,
) {
  const q = new URLSearchParams(params);
  if (signed) {
    q.set("timestamp", String(Date.now()));
    q.set("signature", hmac(q.toString()));
  }
  const res = await fetch(`${fake.url}${path}?${q}`, { method, headers: { "X-MBX-APIKEY": API_KEY } });
  return { status: res.status, body: (await res.json()) as Body };
}

/** A ws client that keeps every frame and how the socket ended. */
class Client {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  private nextId = 1;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => this.frames.push(JSON.parse(data.toString())));
    socket.on("close", (code) => {
      this.closeCode = code;
    });
  }

  static async open(url: string): Promise<Client> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new Client(socket);
  }

  async call(method: string, params?: Record<string, unknown>): Promise<Frame> {
    const id = `req-${this.nextId++}`;
    this.socket.send(JSON.stringify({ id, method, ...(params ? { params } : {}) }));
    return waitFor(`the answer to ${method}`, () => this.frames.find((f) => f.id === id));
  }

  subscribe(overrides: Record<string, unknown> = {}, secret = API_SECRET): Promise<Frame> {
    const params: Record<string, unknown> = { apiKey: API_KEY, timestamp: Date.now(), ...overrides };
    const payload = Object.keys(params)
      .sort()
      .map((k) => `${k}=${String(params[k])}`)
      .join("&");
    return this.call("userDataStream.subscribe.signature", { ...params, signature: hmac(payload, secret) });
  }

  reports(): SpotExecutionReport[] {
    return this.frames.flatMap((f) => (f.event?.e === "executionReport" ? [f.event] : []));
  }

  updates(): FuturesOrderTradeUpdate[] {
    return this.frames.flatMap((f) => (f.e === "ORDER_TRADE_UPDATE" ? [f as FuturesOrderTradeUpdate] : []));
  }

  close(): void {
    this.socket.close();
  }
}

async function subscribed(): Promise<Client> {
  const client = await Client.open(fake.wsApiUrl);
  expect((await client.subscribe()).result).toEqual({ subscriptionId: 0 });
  return client;
}

const reportsOf = (client: Client, clientOrderId: string, count: number) =>
  waitFor(`${count} executionReports of ${clientOrderId}`, () => {
    const mine = client.reports().filter((r) => r.c === clientOrderId || r.C === clientOrderId);
    return mine.length >= count ? mine : undefined;
  });

const limit = (clientOrderId: string, side: string, quantity: string, at: string, timeInForce = "GTC") =>
  rest("POST", "/api/v3/order", {
    symbol: "BTCUSDT",
    side,
    type: "LIMIT",
    quantity,
    price: at,
    timeInForce,
    newClientOrderId: clientOrderId,
  });
const market = (clientOrderId: string, side: string, quantity: string) =>
  rest("POST", "/api/v3/order", {
    symbol: "BTCUSDT",
    side,
    type: "MARKET",
    quantity,
    newClientOrderId: clientOrderId,
  });

describe("fake Binance spot user data stream (WebSocket API)", () => {
  it("subscribes with a good signature as subscription 0", async () => {
    const client = await subscribed();
    expect(fake.userStreams.subscriptions()).toBe(1);
    expect(fake.userStreams.connections()).toBe(1);
    expect(await client.call("session.subscriptions")).toMatchObject({
      status: 200,
      result: [{ subscriptionId: 0 }],
    });
    client.close();
  });

  it("refuses a bad signature with -1022", async () => {
    const client = await Client.open(fake.wsApiUrl);
    expect(await client.subscribe({}, "not-the-secret")).toMatchObject({
      status: 400,
      error: { code: -1022, msg: "Signature for this request is not valid." },
    });
    expect(fake.userStreams.subscriptions()).toBe(0);
  });

  it("refuses another API key with -2015", async () => {
    const client = await Client.open(fake.wsApiUrl);
    expect(await client.subscribe({ apiKey: "someone-else" })).toMatchObject({
      status: 401,
      error: { code: -2015 },
    });
  });

  it("refuses a timestamp older than the recvWindow with -1021", async () => {
    const client = await Client.open(fake.wsApiUrl);
    const stale = { timestamp: Date.now() - 6_000 };
    expect(await client.subscribe(stale)).toMatchObject({ status: 400, error: { code: -1021 } });
    expect((await client.subscribe({ ...stale, recvWindow: 10_000 })).result).toEqual({ subscriptionId: 0 });
  });

  it("refuses a second subscription on the connection, and numbers the next one after unsubscribe", async () => {
    const client = await subscribed();
    expect(await client.subscribe()).toMatchObject({ status: 400, error: { code: -2035 } });
    expect(await client.call("userDataStream.unsubscribe")).toMatchObject({ status: 200, result: {} });
    await waitFor("eventStreamTerminated", () =>
      client.frames.find((f) => f.subscriptionId === 0 && f.event?.e === "eventStreamTerminated"),
    );
    expect(fake.userStreams.subscriptions()).toBe(0);
    expect((await client.subscribe()).result).toEqual({ subscriptionId: 1 });
  });

  it("answers an unknown method with -1100 naming it", async () => {
    const client = await Client.open(fake.wsApiUrl);
    const answer = await client.call("order.place", {});
    expect(answer).toMatchObject({ status: 400, error: { code: -1100 } });
    expect(answer.error?.msg).toContain("order.place");
  });

  it("reports a resting GTC LIMIT as NEW, a partial fill, then the fill of the rest", async () => {
    const client = await subscribed();
    expect((await limit("tw-rest", "BUY", "0.02", "27000")).body).toMatchObject({ status: "NEW" });
    fake.exchange?.partialFill("tw-rest", "0.005");
    price = "26900";
    fake.exchange?.trigger("BTCUSDT");
    const [placed, part, remainder] = await reportsOf(client, "tw-rest", 3);
    expect(placed).toMatchObject({
      x: "NEW",
      X: "NEW",
      o: "LIMIT",
      f: "GTC",
      q: "0.02",
      p: "27000",
      w: true,
    });
    expect(placed).toMatchObject({ l: "0.00000000", z: "0", t: -1, N: null, g: -1, C: "" });
    expect(part).toMatchObject({ x: "TRADE", X: "PARTIALLY_FILLED", l: "0.005", z: "0.005", L: "27000" });
    expect(part).toMatchObject({ m: true, w: true, N: "USDT", Z: "135.00000000", Y: "135.00000000" });
    expect(remainder).toMatchObject({ x: "TRADE", X: "FILLED", l: "0.015", z: "0.02", L: "27000", w: false });
    // Trade ids and commissions are those myTrades reports.
    const trades = await rest<{ id: number; commission: string }[]>("GET", "/api/v3/myTrades", {
      symbol: "BTCUSDT",
      orderId: String(placed?.i),
    });
    expect([part, remainder].map((r) => ({ id: r?.t, commission: r?.n }))).toEqual(
      [trades.body[0], trades.body[1]].map((t) => ({ id: t?.id, commission: t?.commission })),
    );
  });

  it("reports a cancel as CANCELED under the cancel's own id, C naming the order", async () => {
    const client = await subscribed();
    await limit("tw-cxl", "BUY", "0.01", "27000");
    fake.exchange?.partialFill("tw-cxl", "0.004");
    const canceled = await rest("DELETE", "/api/v3/order", {
      symbol: "BTCUSDT",
      origClientOrderId: "tw-cxl",
      newClientOrderId: "cancel-1",
    });
    expect(canceled.body).toMatchObject({ status: "CANCELED", clientOrderId: "cancel-1" });
    const reports = await reportsOf(client, "tw-cxl", 3);
    expect(reports.map((r) => r.x)).toEqual(["NEW", "TRADE", "CANCELED"]);
    expect(reports[2]).toMatchObject({ c: "cancel-1", C: "tw-cxl", X: "CANCELED", z: "0.004", w: false });
  });

  it("reports a market order as NEW then TRADE FILLED, taker", async () => {
    const client = await subscribed();
    await market("tw-mkt", "BUY", "0.01");
    const reports = await reportsOf(client, "tw-mkt", 2);
    expect(reports.map((r) => [r.x, r.X])).toEqual([
      ["NEW", "NEW"],
      ["TRADE", "FILLED"],
    ]);
    expect(reports[1]).toMatchObject({
      o: "MARKET",
      l: "0.01",
      z: "0.01",
      L: "28000",
      m: false,
      n: "0.28000000",
    });
  });

  it("reports an IOC LIMIT the price does not reach as NEW then EXPIRED", async () => {
    const client = await subscribed();
    await limit("tw-ioc", "BUY", "0.01", "27000", "IOC");
    const reports = await reportsOf(client, "tw-ioc", 2);
    expect(reports.map((r) => [r.x, r.X, r.f])).toEqual([
      ["NEW", "NEW", "IOC"],
      ["EXPIRED", "EXPIRED", "IOC"],
    ]);
  });

  it("reports OCO legs: NEW for both, TRADE for the leg that fills, CANCELED for the other", async () => {
    await market("tw-entry", "BUY", "0.01");
    const client = await subscribed();
    const oco = await rest("POST", "/api/v3/orderList/oco", {
      symbol: "BTCUSDT",
      side: "SELL",
      quantity: "0.01",
      aboveType: "LIMIT_MAKER",
      abovePrice: "29000",
      aboveClientOrderId: "tw-tp",
      belowType: "STOP_LOSS",
      belowStopPrice: "27000",
      belowClientOrderId: "tw-sl",
    });
    expect(oco.status).toBe(200);
    price = "29100";
    fake.exchange?.trigger("BTCUSDT");
    const tp = await reportsOf(client, "tw-tp", 2);
    const sl = await reportsOf(client, "tw-sl", 2);
    expect(tp.map((r) => [r.x, r.X, r.o, r.m])).toEqual([
      ["NEW", "NEW", "LIMIT_MAKER", false],
      ["TRADE", "FILLED", "LIMIT_MAKER", true],
    ]);
    expect(sl.map((r) => [r.x, r.X, r.o, r.P])).toEqual([
      ["NEW", "NEW", "STOP_LOSS", "27000"],
      ["CANCELED", "CANCELED", "STOP_LOSS", "27000"],
    ]);
    expect(sl[1]?.C).toBe("tw-sl");
    expect(new Set([...tp, ...sl].map((r) => r.g)).size).toBe(1);
    expect(tp[0]?.g).toBeGreaterThan(-1);
  });

  it("loses the events sent while muted, and records only what went out", async () => {
    const client = await subscribed();
    fake.userStreams.mute(true);
    await market("tw-lost", "BUY", "0.01");
    fake.userStreams.mute(false);
    await market("tw-seen", "BUY", "0.01");
    await reportsOf(client, "tw-seen", 2);
    expect(client.reports().map((r) => r.c)).toEqual(["tw-seen", "tw-seen"]);
    expect(
      fake.userStreams.sent.map((s) => s.kind === "spot" && s.event.e === "executionReport" && s.event.c),
    ).toEqual(["tw-seen", "tw-seen"]);
  });

  it("drop() destroys the socket without a close frame", async () => {
    const client = await subscribed();
    fake.userStreams.drop();
    await waitFor("the socket closed", () => client.closeCode);
    expect(client.closeCode).toBe(1006);
    await waitFor("no connection left", () => fake.userStreams.connections() === 0);
    expect(fake.userStreams.subscriptions()).toBe(0);
  });

  it("freeze() silences the open sockets without closing them: no pong, no event, no answer", async () => {
    const frozen = await subscribed();
    fake.userStreams.freeze();
    const fresh = await subscribed();
    let pongs = 0;
    frozen.socket.on("pong", () => void pongs++);
    frozen.socket.ping();
    await market("tw-frozen", "BUY", "0.01");
    await reportsOf(fresh, "tw-frozen", 2);
    frozen.socket.send(JSON.stringify({ id: "late", method: "ping" }));
    await new Promise((r) => setTimeout(r, 100));
    expect(pongs).toBe(0);
    expect(frozen.frames).toHaveLength(1);
    expect(frozen.socket.readyState).toBe(WebSocket.OPEN);
    expect(fake.userStreams.connections()).toBe(2);
    frozen.socket.terminate();
    await waitFor("the frozen socket gone", () => fake.userStreams.connections() === 1);
  });

  it("close() closes the WebSocket connections too", async () => {
    const client = await subscribed();
    closed = true;
    await fake.close();
    await waitFor("the socket closed", () => client.closeCode);
  });
});

describe("fake Binance USD-M user data stream (listenKey)", () => {
  const newKey = async () => {
    const { status, body } = await rest("POST", "/fapi/v1/listenKey", {}, false);
    expect(status).toBe(200);
    return String(body.listenKey);
  };
  const futuresOrder = (params: Record<string, string>) =>
    rest("POST", "/fapi/v1/order", { symbol: "BTCUSDT", ...params });
  const updatesOf = (client: Client, clientOrderId: string, count: number) =>
    waitFor(`${count} ORDER_TRADE_UPDATEs of ${clientOrderId}`, () => {
      const mine = client.updates().filter((u) => u.o.c === clientOrderId);
      return mine.length >= count ? mine : undefined;
    });

  it("hands out one listenKey, returned again by POST and kept alive by PUT", async () => {
    const key = await newKey();
    expect(key).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(await newKey()).toBe(key);
    expect(await rest("PUT", "/fapi/v1/listenKey", {}, false)).toMatchObject({ status: 200 });
    const wrongKey = await fetch(`${fake.url}/fapi/v1/listenKey`, {
      method: "POST",
      headers: { "X-MBX-APIKEY": "nope" },
    });
    expect(wrongKey.status).toBe(401);
  });

  it("streams ORDER_TRADE_UPDATE for a market order and a resting LIMIT's fills", async () => {
    const client = await Client.open(`${fake.wsUrl}/${await newKey()}`);
    await futuresOrder({ side: "BUY", type: "MARKET", quantity: "0.01", newClientOrderId: "f-mkt" });
    const [placed, filled] = await updatesOf(client, "f-mkt", 2);
    expect(placed?.o).toMatchObject({ x: "NEW", X: "NEW", o: "MARKET", z: "0", t: 0 });
    expect(filled?.o).toMatchObject({
      x: "TRADE",
      X: "FILLED",
      l: "0.01",
      z: "0.01",
      L: "28000",
      ap: "28000",
    });
    expect(filled?.o).toMatchObject({ N: "USDT", n: "0.14000000", m: false, R: false, ps: "BOTH" });
    const trades = fake.futures?.trades ?? [];
    expect(filled?.o.t).toBe(trades[0]?.id);

    const sell = { side: "SELL", type: "LIMIT", quantity: "0.02", price: "28500", timeInForce: "GTC" };
    await futuresOrder({ ...sell, newClientOrderId: "f-lmt" });
    fake.futures?.partialFill("f-lmt", "0.005");
    price = "28600";
    fake.futures?.trigger("BTCUSDT");
    const updates = await updatesOf(client, "f-lmt", 3);
    expect(updates.map((u) => [u.o.x, u.o.X, u.o.l, u.o.z, u.o.m])).toEqual([
      ["NEW", "NEW", "0", "0", false],
      ["TRADE", "PARTIALLY_FILLED", "0.005", "0.005", true],
      ["TRADE", "FILLED", "0.015", "0.02", true],
    ]);
    expect(updates[1]?.o).toMatchObject({ p: "28500", f: "GTC", rp: "2.50000000" });
  });

  it("streams a cancel, and the order a triggered algo order places", async () => {
    const client = await Client.open(`${fake.wsUrl}?listenKey=${await newKey()}`);
    const resting = { side: "BUY", type: "LIMIT", quantity: "0.01", price: "27000", timeInForce: "GTC" };
    await futuresOrder({ ...resting, newClientOrderId: "f-cxl" });
    await rest("DELETE", "/fapi/v1/order", { symbol: "BTCUSDT", origClientOrderId: "f-cxl" });
    expect((await updatesOf(client, "f-cxl", 2)).map((u) => u.o.x)).toEqual(["NEW", "CANCELED"]);

    await futuresOrder({ side: "BUY", type: "MARKET", quantity: "0.01", newClientOrderId: "f-open" });
    await rest("POST", "/fapi/v1/algoOrder", {
      symbol: "BTCUSDT",
      algoType: "CONDITIONAL",
      side: "SELL",
      type: "STOP_MARKET",
      quantity: "0.01",
      triggerPrice: "27500",
      reduceOnly: "true",
      clientAlgoId: "f-stop",
    });
    price = "27400";
    fake.futures?.trigger("BTCUSDT");
    const stop = await updatesOf(client, "f-stop", 2);
    expect(stop.map((u) => [u.o.x, u.o.X, u.o.R])).toEqual([
      ["NEW", "NEW", true],
      ["TRADE", "FILLED", true],
    ]);
  });

  it("expires the listenKey: listenKeyExpired, the socket stays open and silent, PUT answers -1125", async () => {
    const key = await newKey();
    const client = await Client.open(`${fake.wsUrl}/${key}`);
    fake.userStreams.expireListenKey();
    await waitFor("listenKeyExpired", () => client.frames.find((f) => f.e === "listenKeyExpired"));
    expect(client.frames.at(-1)).toMatchObject({ e: "listenKeyExpired", listenKey: key });
    expect(await rest("PUT", "/fapi/v1/listenKey", {}, false)).toEqual({
      status: 400,
      body: { code: -1125, msg: "This listenKey does not exist." },
    });
    await futuresOrder({ side: "BUY", type: "MARKET", quantity: "0.01", newClientOrderId: "f-unheard" });
    await new Promise((r) => setTimeout(r, 100));
    expect(client.updates()).toEqual([]);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    expect(await newKey()).not.toBe(key);
  });

  it("refuses an upgrade to an unknown listenKey with HTTP 400", async () => {
    await newKey();
    await expect(Client.open(`${fake.wsUrl}/not-a-key`)).rejects.toThrow(/400/);
    await expect(Client.open(`${fake.wsUrl}?listenKey=not-a-key`)).rejects.toThrow(/400/);
  });

  it("DELETE closes the key's sockets, and drop() and mute() cover futures streams too", async () => {
    const key = await newKey();
    const first = await Client.open(`${fake.wsUrl}/${key}`);
    const spot = await subscribed();
    expect(fake.userStreams.connections()).toBe(2);
    fake.userStreams.mute(true);
    await futuresOrder({ side: "BUY", type: "MARKET", quantity: "0.01", newClientOrderId: "f-muted" });
    fake.userStreams.mute(false);
    expect(fake.userStreams.sent).toEqual([]);
    expect(await rest("DELETE", "/fapi/v1/listenKey", {}, false)).toEqual({ status: 200, body: {} });
    await waitFor("the key's socket closed", () => first.closeCode);
    expect(first.closeCode).toBe(1000);
    const key2 = await newKey();
    await Client.open(`${fake.wsUrl}/${key2}`);
    fake.userStreams.drop();
    await waitFor("every socket gone", () => fake.userStreams.connections() === 0);
    await waitFor("the spot socket dropped", () => spot.closeCode);
    expect(first.updates()).toEqual([]);
  });
});
