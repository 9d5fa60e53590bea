export { bookTicker, discardStream, percentile, round3 } from "./bench.js";
export { manualClock } from "./clock.js";
export type { KlineRow12 } from "./fake-binance-rest/candles.js";
export { firstAtOrAfter, intervalMs, loadCandleFile } from "./fake-binance-rest/candles.js";
export type {
  FakeExchange,
  FakeExchangeOptions,
  FakeFill,
  FakeOrder,
  FakeOrderChange,
} from "./fake-binance-rest/exchange.js";
export type { FakeFuturesOrderChange } from "./fake-binance-rest/futures-exchange.js";
export type { FakeAlgoOrder } from "./fake-binance-rest/futures-model.js";
export type { FakeBinanceRest, FakeBinanceRestOptions, Fault } from "./fake-binance-rest/server.js";
export { startFakeBinanceRest } from "./fake-binance-rest/server.js";
export type {
  FuturesOrderTradeUpdate,
  FuturesUserEvent,
  SpotExecutionReport,
  SpotUserEvent,
} from "./fake-binance-rest/user-events.js";
export type { FakeUserStreams, SentUserEvent } from "./fake-binance-rest/user-stream.js";
export type { FakeBinanceWs, FakeBinanceWsOptions, FakeConnection } from "./fake-binance-ws.js";
export { startFakeBinanceWs } from "./fake-binance-ws.js";
export { uniqueName } from "./ids.js";
export { metricValue } from "./metrics.js";
export { fillStream, NATS_URL, natsNamespace, PrivateNatsServer } from "./nats.js";
export { DATABASE_URL, pgSchema, withSearchPath } from "./postgres.js";
export { freePort } from "./private-server.js";
export { REDIS_URL, redisScope } from "./redis.js";
export { PrivateRedisServer } from "./redis-server.js";
export type { ServiceLine, ServiceProcessOptions } from "./service-process.js";
export { ServiceProcess } from "./service-process.js";
export { sharedDataDir } from "./shared-data.js";
export { TcpProxy } from "./tcp-proxy.js";
export { waitFor } from "./wait.js";
