export { assertNever } from "./assert-never.js";
export type { FieldProblem, ParseResult } from "./errors.js";
export { parseOrThrow, parseWith, problemsOf, SchemaValidationError } from "./errors.js";
export {
  BatchExtractionCompleted,
  ExtractionCompleted,
  ExtractionEvent,
  ExtractionType,
} from "./extraction.js";
export { KillSwitchCommand, ServiceHeartbeat, TaskState } from "./heartbeat.js";
export type { IntentAction, TradeIntentInput } from "./intent.js";
export { INTENT_ACTIONS, TradeIntent } from "./intent.js";
export type { MarketDataKind, PriceLevel } from "./market-data.js";
export { BookTicker, Depth20, Kline, Market, MarketData, Trade } from "./market-data.js";
export type { OrderEventKind } from "./order.js";
export {
  OrderCanceled,
  OrderEvent,
  OrderFilled,
  OrderPartialFill,
  OrderPlaced,
  OrderRejected,
  OrderSide,
  OrderType,
  RejectionSource,
  TradingMode,
} from "./order.js";
export {
  boundedText,
  caseInsensitiveEnum,
  DecimalString,
  fixedIntervalMs,
  KLINE_INTERVALS,
  KlineInterval,
  Numeric,
  type NumericBounds,
  numericIn,
  parseTimestampMs,
  SCHEMA_VERSION,
  SymbolName,
  TimestampMs,
} from "./primitives.js";
export type { SignalAction, TradingSignalInput } from "./signal.js";
export { SIGNAL_ACTIONS, TradingSignal } from "./signal.js";
export type { FeedMarket } from "./subjects.js";
export {
  DEFAULT_EXTRACTION_PREFIX,
  DEFAULT_VENUE,
  marketDataStream,
  SubjectTokenError,
  subjects,
} from "./subjects.js";
