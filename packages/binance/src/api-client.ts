import type { Logger } from "@tradewire/logger";
import { withTimeout } from "@tradewire/supervisor";
import BinanceModule, { type BinanceRest as ApiNodeRest } from "binance-api-node";
import { BinanceError, describeBinanceCode, outcomeUnknown } from "./errors.js";
import type { WeightRateLimiter } from "./rate-limiter.js";
import { callWithRetry } from "./retry.js";
import { requestWeight } from "./weights.js";

// binance-api-node is CommonJS: under ESM its factory arrives as `.default`.
type ApiNodeOptions = {
  apiKey?: string;
  apiSecret?: string;
  httpBase?: string;
  httpFutures?: string;
  wsBase?: string;
  wsFutures?: string;
};
type ApiNodeFactory = (options?: ApiNodeOptions) => ApiNodeRest;
const createApiNode: ApiNodeFactory =
  (BinanceModule as unknown as { default?: ApiNodeFactory }).default ??
  (BinanceModule as unknown as ApiNodeFactory);

export type BinanceMode = "live" | "testnet";

export interface BinanceEndpoints {
  httpBase: string;
  httpFutures: string;
  /** Must end in `/ws` for binance-api-node. */
  wsBase: string;
  wsFutures: string;
}

const DEFAULT_ENDPOINTS: Record<BinanceMode, BinanceEndpoints> = {
  live: {
    httpBase: "https://api.binance.com",
    httpFutures: "https://fapi.binance.com",
    wsBase: "wss://stream.binance.com:9443/ws",
    wsFutures: "wss://fstream.binance.com/ws",
  },
  testnet: {
    httpBase: "https://testnet.binance.vision",
    httpFutures: "https://testnet.binancefuture.com",
    wsBase: "wss://testnet.binance.vision/ws",
    wsFutures: "wss://stream.binancefuture.com/ws",
  },
};

const withWs = (base: string) => (base.endsWith("/ws") ? base : `${base.replace(/\/+$/, "")}/ws`);

/**
 * Spot and USD-M endpoints for live or testnet, each replaced by its variable when set
 * (`BINANCE_HTTP_BASE`, `BINANCE_FUTURES_HTTP_BASE`, `BINANCE_WS_BASE`, `BINANCE_FUTURES_WS_BASE`),
 * so tests and the demo point everything at a local fake.
 */
export function binanceEndpoints(
  mode: BinanceMode,
  env: Readonly<Record<string, string | undefined>> = process.env,
): BinanceEndpoints {
  const d = DEFAULT_ENDPOINTS[mode];
  return {
    httpBase: env.BINANCE_HTTP_BASE || d.httpBase,
    httpFutures: env.BINANCE_FUTURES_HTTP_BASE || d.httpFutures,
    wsBase: withWs(env.BINANCE_WS_BASE || d.wsBase),
    wsFutures: withWs(env.BINANCE_FUTURES_WS_BASE || d.wsFutures),
  };
}

export interface BinanceApiClientOptions {
  endpoints: BinanceEndpoints;
  apiKey?: string;
  apiSecret?: string;
  limiter: WeightRateLimiter;
  logger: Logger;
  timeoutMs?: number;
  maxRetries?: number;
}

type ApiNodeError = Error & { code?: unknown; response?: { status?: number } };

/**
 * binance-api-node with its gaps covered: every call first takes its request weight from the
 * shared limiter, is bounded by a timeout, and — when it is idempotent — retried with backoff and
 * jitter on network errors, timeouts, 5xx and -1003; errors become `BinanceError` with the
 * exchange's code. Orders are never retried here: the caller looks them up by client id (F31).
 * Never set binance-api-node's `testnet: true` with custom bases (it forces Binance's hosts); the
 * endpoints above carry the testnet hosts instead.
 */
export class BinanceApiClient {
  /** The underlying client, for endpoints not wrapped here (calls through it are unguarded). */
  readonly raw: ApiNodeRest;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;

  constructor(private readonly opts: BinanceApiClientOptions) {
    this.raw = createApiNode({
      apiKey: opts.apiKey,
      apiSecret: opts.apiSecret,
      httpBase: opts.endpoints.httpBase,
      httpFutures: opts.endpoints.httpFutures,
      wsBase: opts.endpoints.wsBase,
      wsFutures: opts.endpoints.wsFutures,
    });
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxRetries = opts.maxRetries ?? 3;
  }

  /** Server time, epoch ms (the library resolves a number although its typings say an object). */
  async time(): Promise<number> {
    const r = (await this.call("/api/v3/time", {}, true, () => this.raw.time())) as unknown;
    return typeof r === "number" ? r : (r as { serverTime: number }).serverTime;
  }

  exchangeInfo() {
    return this.call("/api/v3/exchangeInfo", {}, true, () => this.raw.exchangeInfo());
  }

  candles(p: Parameters<ApiNodeRest["candles"]>[0]) {
    return this.call("/api/v3/klines", { limit: p.limit }, true, () => this.raw.candles(p));
  }

  futuresCandles(p: Parameters<ApiNodeRest["futuresCandles"]>[0]) {
    return this.call("/fapi/v1/klines", { limit: p.limit }, true, () => this.raw.futuresCandles(p));
  }

  /** A spot order; `newClientOrderId` is required so a resubmit is recognised (the library invents one otherwise). */
  order(p: {
    symbol: string;
    side: "BUY" | "SELL";
    type: "MARKET" | "LIMIT";
    quantity: string;
    price?: string;
    timeInForce?: "GTC" | "IOC" | "FOK";
    newClientOrderId: string;
  }) {
    const payload = p as unknown as Parameters<ApiNodeRest["order"]>[0];
    return this.call("/api/v3/order", {}, false, () => this.raw.order(payload), "POST");
  }

  getOrder(p: Parameters<ApiNodeRest["getOrder"]>[0]) {
    return this.call("/api/v3/order", {}, true, () => this.raw.getOrder(p));
  }

  openOrders(p: Parameters<ApiNodeRest["openOrders"]>[0] = {}) {
    return this.call("/api/v3/openOrders", { symbol: p?.symbol }, true, () => this.raw.openOrders(p));
  }

  accountInfo() {
    return this.call("/api/v3/account", {}, true, () => this.raw.accountInfo());
  }

  private call<T>(
    path: string,
    params: Readonly<Record<string, string | number | undefined>>,
    idempotent: boolean,
    run: () => Promise<T>,
    method = "GET",
  ): Promise<T> {
    const { limiter, logger } = this.opts;
    const weight = requestWeight(path, params, method);
    return callWithRetry(
      { path, weight, retries: idempotent ? this.maxRetries : 0, limiter, logger },
      () => withTimeout(run(), this.timeoutMs, `${method} ${path}`),
      (error) => this.toBinanceError(error, method, path),
    );
  }

  private toBinanceError(error: unknown, method: string, path: string): BinanceError {
    if (error instanceof BinanceError) return error;
    const e = error as ApiNodeError;
    const label = `${method} ${path}`;
    if (e?.name === "TimeoutError") {
      return new BinanceError(
        "TIMEOUT",
        `${label} timed out after ${this.timeoutMs} ms`,
        true,
        { path },
        { cause: error },
      );
    }
    const status = e?.response?.status;
    if (e?.code === -1003 || status === 429) {
      // binance-api-node drops Retry-After: assume a minute, as Binance's limit windows are.
      this.opts.limiter.on429(60_000);
      return new BinanceError(
        "RATE_LIMITED",
        `${label}: rate limited`,
        true,
        { path, status, binanceCode: -1003, retryAfterMs: 60_000 },
        { cause: error },
      );
    }
    if (status === 418) {
      this.opts.limiter.on418(120_000);
      return new BinanceError(
        "IP_BANNED",
        `${label}: IP banned (418)`,
        false,
        { path, status },
        { cause: error },
      );
    }
    const code = typeof e?.code === "number" ? e.code : undefined;
    if (outcomeUnknown(status, code)) {
      return new BinanceError(
        "SERVER",
        `${label}: outcome unknown (${code ?? status}) ${e?.message ?? ""}`.trim(),
        true,
        { path, status, binanceCode: code },
        { cause: error },
      );
    }
    if (code !== undefined) {
      const meaning = describeBinanceCode(code);
      return new BinanceError(
        "REJECTED",
        `${label} rejected: ${code} ${e?.message}${meaning ? ` (${meaning})` : ""}`,
        false,
        { path, binanceCode: code },
        { cause: error },
      );
    }
    return new BinanceError(
      "NETWORK",
      `${label} failed: ${e?.message ?? String(error)}`,
      true,
      { path },
      { cause: error },
    );
  }
}
