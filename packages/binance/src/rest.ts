import { createHmac } from "node:crypto";
import type { Logger } from "@tradewire/logger";
import { BinanceError, describeBinanceCode, outcomeUnknown } from "./errors.js";
import type { WeightRateLimiter } from "./rate-limiter.js";
import { callWithRetry } from "./retry.js";
import { requestWeight } from "./weights.js";

export interface BinanceRestOptions {
  /** e.g. https://api.binance.com, or the fake's http://127.0.0.1:<port>. */
  baseUrl: string;
  limiter: WeightRateLimiter;
  logger: Logger;
  timeoutMs?: number;
  maxRetries?: number;
  /** For signed (USER_DATA / TRADE) endpoints; never logged. */
  credentials?: { apiKey: string; apiSecret: string };
  /** recvWindow for signed calls (ms). */
  recvWindowMs?: number;
  /**
   * The server-time endpoint (`/api/v3/time`, `/fapi/v1/time` on USD-M): read when Binance
   * answers -1021 (timestamp outside recvWindow) to correct signed timestamps by the clock offset.
   */
  timePath?: string;
}

/** Binance's "timestamp for this request is outside of the recvWindow". */
const TIMESTAMP_OUTSIDE_WINDOW = -1021;

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

/** Binance's security types: NONE, USER_STREAM (the API key header only), or SIGNED. */
type Security = "none" | "keyed" | "signed";

/** HMAC-SHA256 of the query string, as Binance signs requests. */
export function signQuery(query: string, secret: string): string {
  return createHmac("sha256", secret).update(query).digest("hex");
}

export type QueryParams = Readonly<Record<string, string | number | undefined>>;

/** How a signed call may wait before it goes out. */
export interface SendOptions {
  signal?: AbortSignal;
  /** Epoch ms: if the rate limiter cannot let it out by then, it is not sent (RequestNotSent). */
  sendBy?: number;
}

/**
 * Public REST calls with what binance-api-node lacks: a per-request timeout, retry with capped
 * exponential backoff and jitter on network errors, timeouts, 5xx and 429 (honouring
 * Retry-After), weight-aware rate limiting, and errors that keep the HTTP status and Binance code.
 */
export class BinanceRest {
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  /** Binance's clock minus ours (ms), learned on a -1021: added to every signed timestamp. */
  private clockOffsetMs = 0;

  constructor(private readonly opts: BinanceRestOptions) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxRetries = opts.maxRetries ?? 3;
  }

  get<T>(path: string, params: QueryParams = {}, signal?: AbortSignal): Promise<T> {
    return this.call<T>("GET", path, params, { signal, security: "none", retries: this.maxRetries });
  }

  /**
   * A signed call (timestamp, recvWindow, signature, X-MBX-APIKEY). Only GETs are retried: an
   * order POST that failed in flight may have been placed, so its caller decides (query by
   * client order id, then resubmit with the same id).
   */
  signed<T>(method: HttpMethod, path: string, params: QueryParams = {}, send: SendOptions = {}): Promise<T> {
    return this.call<T>(method, path, params, {
      ...send,
      security: "signed",
      retries: method === "GET" ? this.maxRetries : 0,
    });
  }

  /**
   * A USER_STREAM call: the API key header, no signature (listenKey endpoints). Retried, as
   * creating or extending a listenKey twice changes nothing.
   */
  keyed<T>(method: HttpMethod, path: string, params: QueryParams = {}, signal?: AbortSignal): Promise<T> {
    return this.call<T>(method, path, params, { signal, security: "keyed", retries: this.maxRetries });
  }

  private call<T>(
    method: HttpMethod,
    path: string,
    params: QueryParams,
    opts: SendOptions & { security: Security; retries: number },
  ): Promise<T> {
    const { limiter, logger } = this.opts;
    if (opts.security !== "none" && this.opts.credentials === undefined) {
      return Promise.reject(
        new BinanceError("REJECTED", `${method} ${path} needs API credentials`, false, { path }),
      );
    }
    const weight = requestWeight(path, params, method);
    return callWithRetry(
      { path, weight, retries: opts.retries, limiter, logger, signal: opts.signal, sendBy: opts.sendBy },
      () => this.once<T>(method, path, params, opts.security, opts.signal),
      (error) =>
        error instanceof BinanceError
          ? error
          : new BinanceError(
              "NETWORK",
              `${method} ${path} failed: ${String(error)}`,
              true,
              { path },
              { cause: error },
            ),
    );
  }

  private async once<T>(
    method: HttpMethod,
    path: string,
    params: QueryParams,
    security: Security,
    signal?: AbortSignal,
  ): Promise<T> {
    const url = new URL(path, this.opts.baseUrl);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {};
    const creds = this.opts.credentials;
    if (security !== "none" && creds !== undefined) headers["x-mbx-apikey"] = creds.apiKey;
    if (security === "signed" && creds !== undefined) {
      url.searchParams.set("recvWindow", String(this.opts.recvWindowMs ?? 5_000));
      url.searchParams.set("timestamp", String(Date.now() + this.clockOffsetMs));
      url.searchParams.set("signature", signQuery(url.searchParams.toString(), creds.apiSecret));
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (timeout.aborted)
        throw new BinanceError(
          "TIMEOUT",
          `${method} ${path} timed out after ${this.timeoutMs} ms`,
          true,
          { path },
          { cause: error },
        );
      throw new BinanceError(
        "NETWORK",
        `${method} ${path} failed: ${(error as Error).message}`,
        true,
        { path },
        { cause: error },
      );
    }
    const used = Number(res.headers.get("x-mbx-used-weight-1m"));
    if (Number.isFinite(used) && used > 0) this.opts.limiter.observeUsedWeight(used);
    const text = await res.text();
    const retryAfterMs = Number(res.headers.get("retry-after") ?? "60") * 1000;
    if (res.status === 418) {
      this.opts.limiter.on418(retryAfterMs);
      throw new BinanceError(
        "IP_BANNED",
        `${method} ${path}: IP banned (418) for ${retryAfterMs / 1000} s`,
        false,
        { status: 418, path, retryAfterMs },
      );
    }
    if (res.status === 429) {
      this.opts.limiter.on429(retryAfterMs);
      throw new BinanceError("RATE_LIMITED", `${method} ${path}: rate limited (429)`, true, {
        status: 429,
        path,
        retryAfterMs,
      });
    }
    // Its fate unknown: an order may still execute. Retryable, so an order is looked up by its
    // client id, never taken as refused (Binance answers a 5xx with HTML, not JSON).
    if (outcomeUnknown(res.status, undefined))
      throw new BinanceError(
        "SERVER",
        `${method} ${path}: server error ${res.status}, outcome unknown`,
        true,
        {
          status: res.status,
          path,
        },
      );
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new BinanceError(
        "INVALID_RESPONSE",
        `${method} ${path}: response is not JSON (status ${res.status})`,
        res.status >= 500,
        { status: res.status, path },
        { cause: error },
      );
    }
    if (!res.ok) {
      const { code, msg } = (body ?? {}) as { code?: number; msg?: string };
      const meaning = code === undefined ? undefined : describeBinanceCode(code);
      const unknown = outcomeUnknown(undefined, code);
      // Our clock is off Binance's: measured and corrected, and the call is retryable (an order
      // is looked up first, then sent again with a timestamp Binance accepts).
      const clockFixed = code === TIMESTAMP_OUTSIDE_WINDOW && (await this.correctClock(signal));
      const said = unknown ? "outcome unknown" : clockFixed ? "rejected, clock corrected" : "rejected";
      throw new BinanceError(
        unknown ? "SERVER" : "REJECTED",
        `${method} ${path} ${said}: ${code ?? res.status} ${msg ?? ""}${meaning ? ` (${meaning})` : ""}`.trim(),
        unknown || clockFixed,
        {
          status: res.status,
          binanceCode: code,
          path,
        },
      );
    }
    return body as T;
  }

  /**
   * Binance's clock minus this host's (ms), from its server-time endpoint (`timePath`), half the
   * round trip counted; with the round trip, which bounds how wrong the offset can be.
   */
  async measureClockOffset(signal?: AbortSignal): Promise<{ offsetMs: number; roundTripMs: number }> {
    const { timePath } = this.opts;
    if (timePath === undefined) throw new Error("no server-time endpoint (timePath) configured");
    // Counted in the weight budget, and timed from when it is sent, not from a wait for its turn.
    await this.opts.limiter.acquire(requestWeight(timePath, {}, "GET"), { signal });
    const sent = Date.now();
    const { serverTime } = await this.once<{ serverTime: number }>("GET", timePath, {}, "none", signal);
    const received = Date.now();
    return { offsetMs: Math.round(serverTime - (sent + received) / 2), roundTripMs: received - sent };
  }

  /** Reads Binance's time and sets the offset; false when it cannot. */
  private async correctClock(signal?: AbortSignal): Promise<boolean> {
    const { timePath, logger } = this.opts;
    if (timePath === undefined) return false;
    try {
      const { offsetMs, roundTripMs } = await this.measureClockOffset(signal);
      logger.warn("local clock differs from Binance's: signed timestamps corrected by the offset", {
        offsetMs,
        previousOffsetMs: this.clockOffsetMs,
        roundTripMs,
      });
      this.clockOffsetMs = offsetMs;
      return true;
    } catch (error) {
      logger.error("Binance's server time could not be read to correct the clock offset", { err: error });
      return false;
    }
  }
}
