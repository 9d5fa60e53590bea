export type { BinanceErrorCode } from "./errors.js";
export { BinanceError, describeBinanceCode } from "./errors.js";
export type { BinanceKline, KlinesRequest } from "./klines.js";
export { fetchKlines, klinePages, MAX_KLINES_LIMIT, parseKlines } from "./klines.js";
export type { RateLimiterOptions } from "./rate-limiter.js";
export { WeightRateLimiter } from "./rate-limiter.js";
export type { BinanceRestOptions, QueryParams } from "./rest.js";
export { BinanceRest } from "./rest.js";
export { requestWeight } from "./weights.js";
