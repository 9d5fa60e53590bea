import type { ExtractionType } from "./extraction.js";
import type { Market, MarketDataKind } from "./market-data.js";
import type { OrderEventKind } from "./order.js";
import type { KlineInterval } from "./primitives.js";

/** A subject token must not contain separators or wildcards. */
const TOKEN = /^[A-Za-z0-9_-]+$/;

export class SubjectTokenError extends Error {
  override readonly name = "SubjectTokenError";
  readonly code = "SUBJECT_TOKEN_INVALID" as const;
  constructor(
    readonly field: string,
    readonly value: string,
  ) {
    super(`invalid subject token for ${field}: ${JSON.stringify(value)} (letters, digits, _ and - only)`);
  }
}

function token(field: string, value: string): string {
  if (!TOKEN.test(value)) throw new SubjectTokenError(field, value);
  return value;
}

export const DEFAULT_VENUE = "binance";
export const DEFAULT_EXTRACTION_PREFIX = "binance.extraction";

function prefixTokens(prefix: string): string {
  for (const part of prefix.split(".")) token("prefix", part);
  return prefix;
}

/** Stream token of a market-data subject; klines carry their interval as a further token. */
export function marketDataStream(kind: MarketDataKind, interval?: KlineInterval): string {
  if (kind !== "kline") return kind;
  if (interval === undefined) throw new SubjectTokenError("interval", "undefined");
  return `kline.${token("interval", interval)}`;
}

/**
 * Every subject Tradewire uses. No service writes a subject string by hand.
 * Market data: `md.<venue>.<symbol>.<stream>`, so `md.binance.BTCUSDT.>` and `md.binance.*.trade` both work.
 */
export const subjects = {
  marketData: (symbol: string, kind: MarketDataKind, interval?: KlineInterval, venue = DEFAULT_VENUE) =>
    `md.${token("venue", venue)}.${token("symbol", symbol)}.${marketDataStream(kind, interval)}`,
  marketDataForSymbol: (symbol: string, venue = DEFAULT_VENUE) =>
    `md.${token("venue", venue)}.${token("symbol", symbol)}.>`,
  marketDataAll: (venue = DEFAULT_VENUE) => `md.${token("venue", venue)}.>`,
  /** Legacy envelope subject used by existing socket clients. */
  websocketEnvelope: () => "binance.websocket.data",

  extraction: (
    type: ExtractionType,
    symbol: string,
    period: KlineInterval,
    prefix = DEFAULT_EXTRACTION_PREFIX,
  ) => `${prefixTokens(prefix)}.${type}.${token("symbol", symbol)}.${token("period", period)}`,
  extractionBatch: (type: ExtractionType, period: KlineInterval, prefix = DEFAULT_EXTRACTION_PREFIX) =>
    `${prefixTokens(prefix)}.${type}.batch.${token("period", period)}`,
  extractionAll: (prefix = DEFAULT_EXTRACTION_PREFIX) => `${prefixTokens(prefix)}.>`,

  /** `signals.trading`, or `signals.trading.<strategyId>`; the SIGNALS stream covers both. */
  signal: (strategyId?: string) =>
    strategyId === undefined ? "signals.trading" : `signals.trading.${token("strategyId", strategyId)}`,
  signalSubjects: () => ["signals.trading", "signals.trading.>"] as const,

  tradeIntent: () => "trade.intent",
  /** Informational events for intents drained in SAFE_DRAIN mode (never executed). */
  tradeIntentSkipped: () => "intents.skipped_drain",

  orderEvent: (event: OrderEventKind) => `orders.${event}`,
  orderEventsAll: () => "orders.>",

  killSwitch: () => "control.killswitch",
  heartbeat: (service: string) => `tradewire.heartbeat.${token("service", service)}`,
  /** Dead letters of a JetStream stream: `deadletter.<stream>`. */
  deadLetter: (stream: string) => `deadletter.${token("stream", stream)}`,
  deadLetterAll: () => "deadletter.>",
} as const;

/** The market a venue feed trades on; part of the relay's stream-set identity. */
export type FeedMarket = Market;
