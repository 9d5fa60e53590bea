import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { sharedDataDir } from "../shared-data.js";
import { firstAtOrAfter, intervalMs, type KlineRow12 } from "./candles.js";
import { createFakeExchange, type FakeExchange, type FakeExchangeOptions } from "./exchange.js";
import { createFakeFutures, type FakeFutures, type FakeFuturesOptions } from "./futures-exchange.js";
import { createUserStreams, type FakeUserStreams, WS_API_PATH, WS_STREAM_PATH } from "./user-stream.js";

export interface Fault {
  /**
   * HTTP status to answer with (429, 418, 500, 503...); "drop" destroys the socket before the
   * request is handled; "drop_after" handles it (an order is placed) and then destroys the socket;
   * "slow" only waits `delayMs`, then answers as usual.
   */
  kind: number | "drop" | "drop_after" | "slow";
  /** For 429/418: seconds in Retry-After. */
  retryAfterS?: number;
  /**
   * Answer with `kind` only after the request took effect (an order placed): Binance's "outcome
   * unknown" answers, USD-M's 408 or a -1007 timeout. Default: before, nothing done.
   */
  afterEffect?: boolean;
  /** The Binance error code in a JSON fault's body (default -1003). */
  code?: number;
  /** Delay before answering (slow response). */
  delayMs?: number;
  /** Only a request to this path (and method, if given) takes the fault; default: the next request. */
  path?: string;
  method?: string;
  /** And only one whose query holds these parameters (e.g. one order's `origClientOrderId`). */
  query?: Record<string, string>;
}

export interface FakeBinanceRestOptions {
  /** `${market}:${symbol}:${interval}` → rows, e.g. "spot:BTCUSDT:1m". */
  series: Record<string, KlineRow12[]>;
  /** The fake's clock (ms): candles whose close time is not past are still forming and not served. */
  now?: () => number;
  /** Per-minute request-weight limit; beyond it 429 with Retry-After, and 418 if called again while limited. */
  weightLimit?: number;
  /** Serve the still-forming candle (Binance does); default false so tests can assert the extractor never stores it. */
  serveForming?: boolean;
  /** Enables the signed spot trading endpoints (order, OCO order lists, lookups, open orders, account). */
  exchange?: FakeExchangeOptions;
  /** Enables the signed USD-M endpoints (orders, algo orders, positions, leverage, user trades). */
  futures?: FakeFuturesOptions;
}

export interface FakeBinanceRest {
  url: string;
  /**
   * The spot WebSocket API, `ws://127.0.0.1:<port>/ws-api/v3`: `userDataStream.subscribe.signature`
   * streams spot executionReports (a subscription needs `exchange`).
   */
  wsApiUrl: string;
  /**
   * Base of the USD-M user data streams: connect to `${wsUrl}/${listenKey}` with a key from
   * `POST /fapi/v1/listenKey` (needs `futures`).
   */
  wsUrl: string;
  /** Controls of the user data streams: connections, drops, muting, listenKey expiry, what was sent. */
  userStreams: FakeUserStreams;
  /** Closes the HTTP server and every WebSocket connection. */
  close(): Promise<void>;
  /** Every request: method, path, query and the status answered. */
  requests: { method: string; path: string; query: Record<string, string>; status: number }[];
  /** Queues faults for the next requests, one per request. */
  fail(...faults: Fault[]): void;
  /** Sets the exchange's clock this far ahead of ours (ms; negative: behind). */
  setClockOffset(ms: number): void;
  /** The most weight used within one minute so far. */
  maxWeightInMinute(): number;
  /** Orders and balances, when `exchange` was given. */
  exchange?: FakeExchange;
  /** Orders, algo orders and positions, when `futures` was given. */
  futures?: FakeFutures;
}

/** Request weight per path where it is not 1 (Binance API docs, spot and USD-M). */
const WEIGHTS: Record<string, (q: URLSearchParams, method: string) => number> = {
  "/api/v3/klines": () => 2,
  "/fapi/v1/klines": (q) => {
    const l = Number(q.get("limit") ?? 500);
    return l < 100 ? 1 : l < 500 ? 2 : l <= 1000 ? 5 : 10;
  },
  "/api/v3/exchangeInfo": () => 20,
  "/api/v3/time": () => 1,
  "/fapi/v1/time": () => 1,
  // GET 4; POST (place) and DELETE (cancel) 1.
  "/api/v3/order": (_q, method) => (method === "GET" ? 4 : 1),
  "/api/v3/myTrades": (q) => (q.has("orderId") ? 5 : 20),
  "/api/v3/openOrders": (q) => (q.has("symbol") ? 6 : 80),
  "/api/v3/account": () => 20,
  "/api/v3/ticker/price": (q) => (q.has("symbol") ? 2 : 4),
  "/api/v3/orderList": (_q, method) => (method === "GET" ? 4 : 1),
  // USD-M placements count against the order-rate limits, not the IP weight.
  "/fapi/v1/order": (_q, method) => (method === "POST" ? 0 : 1),
  "/fapi/v1/algoOrder": (_q, method) => (method === "POST" ? 0 : 1),
  "/fapi/v1/openOrders": (q) => (q.has("symbol") ? 1 : 40),
  "/fapi/v1/openAlgoOrders": (q) => (q.has("symbol") ? 1 : 40),
  "/fapi/v1/userTrades": () => 5,
  "/fapi/v3/positionRisk": () => 5,
  "/fapi/v3/account": () => 5,
  "/fapi/v1/positionSide/dual": () => 30,
};

/** A fake Binance REST server on loopback, faithful where the extractor and the client depend on it. */
export async function startFakeBinanceRest(opts: FakeBinanceRestOptions): Promise<FakeBinanceRest> {
  const now = opts.now ?? Date.now;
  const faults: Fault[] = [];
  const requests: FakeBinanceRest["requests"] = [];
  let minute = 0;
  let used = 0;
  let maxUsed = 0;
  let limitedUntil = 0;
  const streams = createUserStreams({
    ...(opts.exchange ? { spot: opts.exchange } : {}),
    ...(opts.futures ? { futures: opts.futures } : {}),
  });
  // The exchange's clock: ours unless a test sets it off (`setClockOffset`), for signed timestamps and /time.
  let clockOffsetMs = 0;
  const serverTime = () => Date.now() + clockOffsetMs;
  const exchange = opts.exchange
    ? createFakeExchange({ ...opts.exchange, serverTime }, streams.spotChange)
    : undefined;
  const futures = opts.futures
    ? createFakeFutures({ ...opts.futures, serverTime }, streams.futuresChange, streams.futuresAlgoChange)
    : undefined;

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.req.headers["x-fake-drop"] === "1") {
      res.socket?.destroy();
      return;
    }
    res.writeHead(status, {
      "content-type": "application/json",
      "x-mbx-used-weight-1m": String(used),
      ...headers,
    });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const query = Object.fromEntries(url.searchParams);
    const record = (status: number) =>
      requests.push({ method: req.method ?? "GET", path: url.pathname, query, status });
    const at = faults.findIndex(
      (f) =>
        (f.path === undefined || f.path === url.pathname) &&
        (f.method === undefined || f.method === req.method) &&
        Object.entries(f.query ?? {}).every(([k, v]) => query[k] === v),
    );
    const fault = at < 0 ? undefined : faults.splice(at, 1)[0];
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.kind === "drop") {
      record(0);
      req.socket.destroy();
      return;
    }
    // The answer is lost after the request took effect (an order placed, its response never seen).
    if (fault?.kind === "drop_after") req.headers["x-fake-drop"] = "1";
    const m = Math.floor(Date.now() / 60_000);
    if (m !== minute) {
      minute = m;
      used = 0;
    }
    if (Date.now() < limitedUntil) {
      record(418);
      return json(
        res,
        418,
        { code: -1003, msg: "Way too many requests; IP banned." },
        { "retry-after": "120" },
      );
    }
    used += (WEIGHTS[url.pathname] ?? (() => 1))(url.searchParams, req.method ?? "GET");
    maxUsed = Math.max(maxUsed, used);
    if (opts.weightLimit !== undefined && used > opts.weightLimit) {
      limitedUntil = (m + 1) * 60_000;
      record(429);
      return json(
        res,
        429,
        { code: -1003, msg: "Too many requests." },
        { "retry-after": String(Math.ceil((limitedUntil - Date.now()) / 1000)) },
      );
    }
    if (fault && typeof fault.kind === "number" && !fault.afterEffect) {
      record(fault.kind);
      const headers: Record<string, string> =
        fault.retryAfterS === undefined ? {} : { "retry-after": String(fault.retryAfterS) };
      if (fault.kind < 500)
        return json(res, fault.kind, { code: fault.code ?? -1003, msg: "scripted fault" }, headers);
      // Binance answers 5xx with HTML, not JSON.
      res.writeHead(fault.kind, { "content-type": "text/html", ...headers });
      res.end("<html>error</html>");
      return;
    }
    const apiKey = req.headers["x-mbx-apikey"];
    const key = typeof apiKey === "string" ? apiKey : undefined;
    const method = req.method ?? "GET";
    const trading =
      exchange?.handle(method, url, key) ??
      futures?.handle(method, url, key) ??
      streams.handle(method, url, key);
    if (trading !== undefined && fault?.afterEffect && typeof fault.kind === "number") {
      record(fault.kind);
      return json(res, fault.kind, {
        code: fault.code ?? -1007,
        msg: "scripted fault after the request took effect",
      });
    }
    if (trading !== undefined) {
      record(trading.status);
      return json(res, trading.status, trading.body);
    }
    switch (url.pathname) {
      case "/api/v3/time":
      case "/fapi/v1/time":
        record(200);
        return json(res, 200, { serverTime: now() + clockOffsetMs });
      case "/api/v3/exchangeInfo":
        record(200);
        return json(
          res,
          200,
          JSON.parse(
            readFileSync(
              join(
                sharedDataDir(),
                "binance/binance-payloads/exchangeInfo/spot_exchangeInfo_2024-09-08_BTCUSDT_ETHUSDT_trimmed.json",
              ),
              "utf8",
            ),
          ),
        );
      case "/api/v3/klines":
      case "/fapi/v1/klines": {
        const market = url.pathname.startsWith("/fapi") ? "futures" : "spot";
        const max = market === "spot" ? 1000 : 1500;
        const limit = Number(url.searchParams.get("limit") ?? 500);
        if (!Number.isInteger(limit) || limit < 1 || limit > max) {
          record(400);
          return json(res, 400, {
            code: -1130,
            msg: `Invalid data sent for a parameter: limit must be 1..${max}.`,
          });
        }
        const symbol = url.searchParams.get("symbol") ?? "";
        const interval = url.searchParams.get("interval") ?? "";
        const rows = opts.series[`${market}:${symbol}:${interval}`];
        if (!rows) {
          record(400);
          return json(res, 400, { code: -1121, msg: "Invalid symbol." });
        }
        const start = Number(url.searchParams.get("startTime") ?? rows[0]?.[0] ?? 0);
        const end = Number(url.searchParams.get("endTime") ?? Number.MAX_SAFE_INTEGER);
        const out: KlineRow12[] = [];
        for (let i = firstAtOrAfter(rows, start); i < rows.length && out.length < limit; i++) {
          const row = rows[i] as KlineRow12;
          if (row[0] > end) break;
          if (!opts.serveForming && row[6] >= now()) break;
          out.push(row);
        }
        intervalMs(interval);
        record(200);
        return json(res, 200, out);
      }
      default:
        record(404);
        return json(res, 404, { code: -1, msg: `fake Binance has no ${url.pathname}` });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  server.on("upgrade", streams.upgrade);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    wsApiUrl: `ws://127.0.0.1:${port}${WS_API_PATH}`,
    wsUrl: `ws://127.0.0.1:${port}${WS_STREAM_PATH}`,
    userStreams: streams.controls,
    requests,
    fail: (...f) => void faults.push(...f),
    setClockOffset: (ms) => {
      clockOffsetMs = ms;
    },
    maxWeightInMinute: () => maxUsed,
    ...(exchange ? { exchange: exchange.state } : {}),
    ...(futures ? { futures: futures.state } : {}),
    close: async () => {
      await streams.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
