import {
  type Market,
  type MarketData,
  MarketData as MarketDataSchema,
  parseWith,
  type SchemaValidationError,
} from "@tradewire/schemas";
import { z } from "zod";

const Level = z.tuple([z.string(), z.string()]);
const PartialDepth = z.object({ lastUpdateId: z.number(), bids: z.array(Level), asks: z.array(Level) });
const DepthUpdate = z.object({
  e: z.literal("depthUpdate"),
  E: z.number(),
  s: z.string(),
  u: z.number(),
  b: z.array(Level),
  a: z.array(Level),
});
const RawTrade = z.object({
  e: z.literal("trade"),
  E: z.number(),
  s: z.string(),
  t: z.number(),
  p: z.string(),
  q: z.string(),
  T: z.number(),
  m: z.boolean(),
});
const RawAggTrade = z.object({
  e: z.literal("aggTrade"),
  E: z.number(),
  s: z.string(),
  a: z.number(),
  p: z.string(),
  q: z.string(),
  T: z.number(),
  m: z.boolean(),
});
const RawKline = z.object({
  e: z.literal("kline"),
  E: z.number(),
  s: z.string(),
  k: z.object({
    t: z.number(),
    T: z.number(),
    i: z.string(),
    o: z.string(),
    c: z.string(),
    h: z.string(),
    l: z.string(),
    v: z.string(),
    n: z.number(),
    x: z.boolean(),
    q: z.string(),
    V: z.string(),
    Q: z.string(),
  }),
});
const RawBookTicker = z.object({
  u: z.number(),
  s: z.string(),
  b: z.string(),
  B: z.string(),
  a: z.string(),
  A: z.string(),
  E: z.number().optional(),
});

export type NormalizeResult = { ok: true; value: MarketData } | { ok: false; reason: string };

/** `btcusdt@depth20@100ms` → `{ symbol: "BTCUSDT", stream: "depth20" }`. */
export function parseStreamName(stream: string): { symbol: string; stream: string } {
  const [symbol = "", kind = ""] = stream.split("@");
  return { symbol: symbol.toUpperCase(), stream: kind };
}

/**
 * Turns one raw Binance stream event (as carried in the combined-stream wrapper) into normalized
 * `MarketData`: the symbol always present (partial depth carries none, it comes from the stream
 * name), decimals as strings, exchange event time and receive time. Unknown or malformed events
 * are reported with the reason, never guessed.
 */
export function normalizeStreamEvent(
  stream: string,
  data: unknown,
  receiveTime: number,
  market: Market = "spot",
): NormalizeResult {
  const { symbol, stream: kind } = parseStreamName(stream);
  const base = { venue: "binance" as const, market, receiveTime };
  let candidate: unknown;
  if (kind.startsWith("depth")) {
    const update = DepthUpdate.safeParse(data);
    const partial = PartialDepth.safeParse(data);
    if (update.success) {
      candidate = {
        ...base,
        kind: "depth20",
        symbol: update.data.s,
        eventTime: update.data.E,
        lastUpdateId: update.data.u,
        bids: update.data.b.slice(0, 20),
        asks: update.data.a.slice(0, 20),
      };
    } else if (partial.success) {
      candidate = {
        ...base,
        kind: "depth20",
        symbol,
        eventTime: receiveTime,
        lastUpdateId: partial.data.lastUpdateId,
        bids: partial.data.bids.slice(0, 20),
        asks: partial.data.asks.slice(0, 20),
      };
    } else return { ok: false, reason: `${stream}: not a partial depth or depthUpdate event` };
  } else if (kind === "trade" || kind === "aggTrade") {
    const t = RawTrade.safeParse(data);
    const a = RawAggTrade.safeParse(data);
    if (t.success)
      candidate = {
        ...base,
        kind: "trade",
        symbol: t.data.s,
        eventTime: t.data.E,
        tradeId: t.data.t,
        price: t.data.p,
        quantity: t.data.q,
        tradeTime: t.data.T,
        buyerIsMaker: t.data.m,
      };
    else if (a.success)
      candidate = {
        ...base,
        kind: "trade",
        symbol: a.data.s,
        eventTime: a.data.E,
        tradeId: a.data.a,
        price: a.data.p,
        quantity: a.data.q,
        tradeTime: a.data.T,
        buyerIsMaker: a.data.m,
      };
    else return { ok: false, reason: `${stream}: not a trade or aggTrade event` };
  } else if (kind.startsWith("kline")) {
    const parsed = RawKline.safeParse(data);
    if (!parsed.success) return { ok: false, reason: `${stream}: not a kline event` };
    const { E, s, k } = parsed.data;
    candidate = {
      ...base,
      kind: "kline",
      symbol: s,
      eventTime: E,
      interval: k.i,
      openTime: k.t,
      closeTime: k.T,
      open: k.o,
      high: k.h,
      low: k.l,
      close: k.c,
      volume: k.v,
      quoteVolume: k.q,
      trades: k.n,
      takerBuyBaseVolume: k.V,
      takerBuyQuoteVolume: k.Q,
      isClosed: k.x,
    };
  } else if (kind === "bookTicker" || stream === "!bookTicker") {
    const parsed = RawBookTicker.safeParse(data);
    if (!parsed.success) return { ok: false, reason: `${stream}: not a bookTicker event` };
    const b = parsed.data;
    candidate = {
      ...base,
      kind: "bookTicker",
      symbol: b.s,
      eventTime: b.E ?? receiveTime,
      updateId: b.u,
      bidPrice: b.b,
      bidQty: b.B,
      askPrice: b.a,
      askQty: b.A,
    };
  } else {
    return { ok: false, reason: `${stream}: unsupported stream` };
  }
  const result = parseWith(MarketDataSchema, "MarketData", candidate);
  return result.ok
    ? { ok: true, value: result.value }
    : { ok: false, reason: (result.error as SchemaValidationError).message };
}
