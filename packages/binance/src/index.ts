export type { BinanceApiClientOptions, BinanceEndpoints, BinanceMode } from "./api-client.js";
export { BinanceApiClient, binanceEndpoints } from "./api-client.js";
export {
  assertDecimal,
  compareDecimal,
  multiplyDecimal,
  numberToDecimal,
  roundDownToStep,
  roundToTick,
  toDecimal,
  trimDecimal,
} from "./decimal.js";
export type { BinanceErrorCode } from "./errors.js";
export { BinanceError, describeBinanceCode, RequestNotSent } from "./errors.js";
export type { FilteredOrder, SymbolFilters } from "./exchange-filters.js";
export { applyOrderFilters, parseExchangeFilters, requestWeightPerMinute } from "./exchange-filters.js";
export type { FuturesAlgoCancel, FuturesProtectiveOrderRequest, NewFuturesOrder } from "./futures-orders.js";
export {
  FuturesAccount,
  FuturesAlgoOrder,
  FuturesFill,
  FuturesLeverage,
  FuturesOrder,
  FuturesOrders,
  FuturesPosition,
} from "./futures-orders.js";
export type { BinanceKline, KlinesRequest } from "./klines.js";
export { fetchKlines, klinePages, MAX_KLINES_LIMIT, parseKlines } from "./klines.js";
export type { NormalizeResult } from "./normalize.js";
export { normalizeStreamEvent, parseStreamName } from "./normalize.js";
export type { AcquireOptions, RateLimiterOptions } from "./rate-limiter.js";
export { WeightRateLimiter } from "./rate-limiter.js";
export type { BinanceRestOptions, HttpMethod, QueryParams, SendOptions } from "./rest.js";
export { BinanceRest, signQuery } from "./rest.js";
export { SharedWeightBudget } from "./shared-budget.js";
export type { NewSpotOrder, SpotBalance, SpotOcoRequest, TimeInForce } from "./spot-orders.js";
export { ocoLegClientIds, SpotOrder, SpotOrderList, SpotOrders, SpotTrade } from "./spot-orders.js";
export { publishedAs, unsupportedStream } from "./stream-kinds.js";
export { untilAborted } from "./until-aborted.js";
export type {
  RunUserStreamOptions,
  UserStreamHandlers,
  UserStreamSource,
  UserStreamSubscription,
} from "./user-stream.js";
export { FuturesUserStream, runUserStream, SpotUserStream, signWsApiParams } from "./user-stream.js";
export type { OrderUpdate, UserStreamFrame } from "./user-stream-events.js";
export { readUserEvent, UserStreamFrameError } from "./user-stream-events.js";
export { requestWeight } from "./weights.js";
