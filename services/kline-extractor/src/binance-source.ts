import {
  BinanceRest,
  klinePages,
  MAX_KLINES_LIMIT,
  requestWeightPerMinute,
  SharedWeightBudget,
  untilAborted,
  WeightRateLimiter,
} from "@tradewire/binance";
import type { Logger } from "@tradewire/logger";
import type { Market } from "@tradewire/schemas";
import { Redis } from "ioredis";
import type { KlineExtractorConfig } from "./config.js";
import type { KlineSource } from "./source.js";

/**
 * Production source over @tradewire/binance: one weight budget shared by every symbol of the run
 * (the limit is per IP), per-request timeout, retry with backoff, Retry-After and 418 handling.
 */
export function createBinanceSource(
  config: KlineExtractorConfig,
  log: Logger,
): KlineSource & { limiter: WeightRateLimiter; close(): Promise<void> } {
  const logger = log.child({ component: "binance" });
  const redis =
    config.BINANCE_SHARED_BUDGET_REDIS_URL === ""
      ? undefined
      : // A Redis that hangs would hold every call for ever: each reservation gets 2 s.
        new Redis(config.BINANCE_SHARED_BUDGET_REDIS_URL, { maxRetriesPerRequest: 2, commandTimeout: 2_000 });
  redis?.on("error", (error: Error) => logger.warn("shared weight budget: redis error", { err: error }));
  const limiter = new WeightRateLimiter({
    limitPerMinute: config.BINANCE_WEIGHT_LIMIT,
    share: config.BINANCE_RATE_LIMIT_SHARE,
    logger,
    ...(redis ? { shared: new SharedWeightBudget(redis, config.BINANCE_SHARED_BUDGET_KEY) } : {}),
  });
  logger.info("binance weight budget", {
    limitPerMinute: config.BINANCE_WEIGHT_LIMIT,
    share: config.BINANCE_RATE_LIMIT_SHARE,
    sharedThroughRedis: redis !== undefined,
  });
  const clients: Record<Market, BinanceRest> = {
    spot: new BinanceRest({
      baseUrl: config.BINANCE_HTTP_BASE,
      timePath: "/api/v3/time",
      limiter,
      logger,
      timeoutMs: config.BINANCE_TIMEOUT_MS,
      maxRetries: config.BINANCE_MAX_RETRIES,
    }),
    futures: new BinanceRest({
      baseUrl: config.BINANCE_FUTURES_HTTP_BASE,
      timePath: "/fapi/v1/time",
      limiter,
      logger,
      timeoutMs: config.BINANCE_TIMEOUT_MS,
      maxRetries: config.BINANCE_MAX_RETRIES,
    }),
  };
  // The exchange's own REQUEST_WEIGHT limit, read once from exchangeInfo: adopted when it is lower
  // than BINANCE_WEIGHT_LIMIT (never higher, so a generous exchange does not lift our ceiling).
  let calibrated: Promise<void> | undefined;
  const calibrate = () => {
    calibrated ??= clients.spot
      .get<unknown>("/api/v3/exchangeInfo")
      .then((info) => {
        const exchangeLimit = requestWeightPerMinute(info);
        const effective = Math.min(config.BINANCE_WEIGHT_LIMIT, exchangeLimit ?? config.BINANCE_WEIGHT_LIMIT);
        limiter.setLimit(effective);
        logger.info("binance weight limit from exchangeInfo", {
          exchangeLimit,
          configured: config.BINANCE_WEIGHT_LIMIT,
          effective,
        });
      })
      .catch((error: unknown) =>
        logger.warn("exchangeInfo unavailable; keeping the configured weight limit", {
          configured: config.BINANCE_WEIGHT_LIMIT,
          err: error,
        }),
      );
    return calibrated;
  };
  return {
    limiter,
    close: async () => {
      await redis?.quit();
    },
    exchangeClockOffset: async (market, signal) =>
      (await clients[market].measureClockOffset(signal)).offsetMs,
    pages: async function* (req) {
      // Shared by every request, so sent without any one's stop: a stop leaves the wait at once.
      await (req.signal === undefined ? calibrate() : untilAborted(calibrate(), req.signal));
      yield* klinePages(clients[req.market], {
        market: req.market,
        symbol: req.symbol,
        interval: req.interval,
        startTime: req.startTime,
        endTime: req.endTime,
        limit: MAX_KLINES_LIMIT[req.market],
        signal: req.signal,
      });
    },
  };
}
