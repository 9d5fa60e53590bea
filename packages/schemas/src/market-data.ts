import { z } from "zod";
import { DecimalString, KlineInterval, SymbolName } from "./primitives.js";

/** Normalized market data as market-relay publishes it on `md.<venue>.<symbol>.<stream>`. */
export const Market = z.enum(["spot", "futures"]);
export type Market = z.infer<typeof Market>;

const PriceLevel = z.tuple([DecimalString, DecimalString]);
export type PriceLevel = z.infer<typeof PriceLevel>;

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
  bids: z.array(PriceLevel).max(20),
  asks: z.array(PriceLevel).max(20),
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
