import type { Logger } from "@tradewire/logger";
import { backoffDelay, sleep } from "@tradewire/supervisor";
import { BinanceError, describeBinanceCode } from "./errors.js";
import type { WeightRateLimiter } from "./rate-limiter.js";
import { requestWeight } from "./weights.js";

export interface BinanceRestOptions {
  /** e.g. https://api.binance.com, or the fake's http://127.0.0.1:<port>. */
  baseUrl: string;
  limiter: WeightRateLimiter;
  logger: Logger;
  timeoutMs?: number;
  maxRetries?: number;
}

export type QueryParams = Readonly<Record<string, string | number | undefined>>;

/**
 * Public REST calls with what binance-api-node lacks: a per-request timeout, retry with capped
 * exponential backoff and jitter on network errors, timeouts, 5xx and 429 (honouring
 * Retry-After), weight-aware rate limiting, and errors that keep the HTTP status and Binance code.
 */
export class BinanceRest {
  private readonly timeoutMs: number;
  private readonly maxRetries: number;

  constructor(private readonly opts: BinanceRestOptions) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxRetries = opts.maxRetries ?? 3;
  }

  async get<T>(path: string, params: QueryParams = {}, signal?: AbortSignal): Promise<T> {
    const weight = requestWeight(path, params);
    for (let attempt = 1; ; attempt++) {
      await this.opts.limiter.acquire(weight);
      try {
        return await this.once<T>(path, params, signal);
      } catch (error) {
        const err =
          error instanceof BinanceError
            ? error
            : new BinanceError(
                "NETWORK",
                `GET ${path} failed: ${String(error)}`,
                true,
                { path },
                { cause: error },
              );
        if (!err.retryable || attempt > this.maxRetries || signal?.aborted) throw err;
        const delayMs = Math.max(
          err.details.retryAfterMs ?? 0,
          backoffDelay(attempt, { initialMs: 250, maxMs: 10_000 }),
        );
        this.opts.logger.warn("binance call failed; retrying", {
          path,
          attempt,
          delayMs,
          code: err.code,
          status: err.details.status,
        });
        await sleep(delayMs, signal);
      }
    }
  }

  private async once<T>(path: string, params: QueryParams, signal?: AbortSignal): Promise<T> {
    const url = new URL(path, this.opts.baseUrl);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, String(v));
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (error) {
      if (timeout.aborted)
        throw new BinanceError(
          "TIMEOUT",
          `GET ${path} timed out after ${this.timeoutMs} ms`,
          true,
          { path },
          { cause: error },
        );
      throw new BinanceError(
        "NETWORK",
        `GET ${path} failed: ${(error as Error).message}`,
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
        `GET ${path}: IP banned (418) for ${retryAfterMs / 1000} s`,
        false,
        { status: 418, path, retryAfterMs },
      );
    }
    if (res.status === 429) {
      this.opts.limiter.on429(retryAfterMs);
      throw new BinanceError("RATE_LIMITED", `GET ${path}: rate limited (429)`, true, {
        status: 429,
        path,
        retryAfterMs,
      });
    }
    if (res.status >= 500)
      throw new BinanceError("SERVER", `GET ${path}: server error ${res.status}`, true, {
        status: res.status,
        path,
      });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new BinanceError(
        "INVALID_RESPONSE",
        `GET ${path}: response is not JSON (status ${res.status})`,
        res.status >= 500,
        { status: res.status, path },
        { cause: error },
      );
    }
    if (!res.ok) {
      const { code, msg } = (body ?? {}) as { code?: number; msg?: string };
      const meaning = code === undefined ? undefined : describeBinanceCode(code);
      throw new BinanceError(
        "REJECTED",
        `GET ${path} rejected: ${code ?? res.status} ${msg ?? ""}${meaning ? ` (${meaning})` : ""}`.trim(),
        false,
        {
          status: res.status,
          binanceCode: code,
          path,
        },
      );
    }
    return body as T;
  }
}
