import { z } from "zod";
import { DecimalString, KlineInterval, SymbolName } from "./primitives.js";

/** Normalized market data as market-relay publishes it on `md.<venue>.<symbol>.<stream>`. */
export const Market = z.enum(["spot", "futures"]);
export type Market = z.infer<typeof Market>;

export type PriceLevel = [price: string, quantity: string];

const DECIMAL = /^-?\d+(\.\d+)?$/;
const MAX_LEVELS = 20;

/** Why `levels` is not up to 20 [price, quantity] decimal-string pairs, or undefined when it is. */
function levelsProblem(levels: unknown): string | undefined {
  if (!Array.isArray(levels))
    return `expected an array of [price, quantity], got ${JSON.stringify(levels)?.slice(0, 80)}`;
  if (levels.length > MAX_LEVELS) return `expected at most ${MAX_LEVELS} levels, got ${levels.length}`;
  for (let i = 0; i < levels.length; i++) {
    const level: unknown = levels[i];
    if (
      !Array.isArray(level) ||
      level.length !== 2 ||
      typeof level[0] !== "string" ||
      typeof level[1] !== "string" ||
      !DECIMAL.test(level[0]) ||
      !DECIMAL.test(level[1])
    ) {
      return `level ${i}: expected ["price", "quantity"] as decimal strings, got ${JSON.stringify(level)?.slice(0, 80)}`;
    }
  }
  return undefined;
}

/**
 * Book levels checked in one loop rather than a zod tuple per level: a depth20 frame has forty of
 * them and this runs for every frame the relay publishes. The error names the level and its value.
 */
const PriceLevels = z.custom<PriceLevel[]>((levels) => levelsProblem(levels) === undefined, {
  error: (issue) => levelsProblem(issue.input) ?? "invalid levels",
});

const MarketDataBase = z.object({
  venue: z.literal("binance"),
  market: Market,
  symbol: SymbolName,
  /** Exchange event time, epoch ms (receive time when the exchange sends none). */
  eventTime: z.number().int().nonnegative(),
  /** When the relay received the frame, epoch ms. */
  receiveTime: z.number().int().nonnegative(),
});

export const Depth20 = MarketDataBase.extend({
  kind: z.literal("depth20"),
  lastUpdateId: z.number().int().nonnegative(),
  bids: PriceLevels,
  asks: PriceLevels,
});
export type Depth20 = z.infer<typeof Depth20>;

export const Trade = MarketDataBase.extend({
  kind: z.literal("trade"),
  tradeId: z.number().int().nonnegative(),
  price: DecimalString,
  quantity: DecimalString,
  tradeTime: z.number().int().nonnegative(),
  /** true when the buyer was the maker, i.e. the aggressor sold. */
  buyerIsMaker: z.boolean(),
});
export type Trade = z.infer<typeof Trade>;

export const Kline = MarketDataBase.extend({
  kind: z.literal("kline"),
  interval: KlineInterval,
  openTime: z.number().int().nonnegative(),
  closeTime: z.number().int().nonnegative(),
  open: DecimalString,
  high: DecimalString,
  low: DecimalString,
  close: DecimalString,
  volume: DecimalString,
  quoteVolume: DecimalString,
  trades: z.number().int().nonnegative(),
  takerBuyBaseVolume: DecimalString,
  takerBuyQuoteVolume: DecimalString,
  /** false while the candle is still forming. */
  isClosed: z.boolean(),
});
export type Kline = z.infer<typeof Kline>;

export const BookTicker = MarketDataBase.extend({
  kind: z.literal("bookTicker"),
  updateId: z.number().int().nonnegative(),
  bidPrice: DecimalString,
  bidQty: DecimalString,
  askPrice: DecimalString,
  askQty: DecimalString,
});
export type BookTicker = z.infer<typeof BookTicker>;

export const MarketData = z.discriminatedUnion("kind", [Depth20, Trade, Kline, BookTicker]);
export type MarketData = z.infer<typeof MarketData>;
export type MarketDataKind = MarketData["kind"];
