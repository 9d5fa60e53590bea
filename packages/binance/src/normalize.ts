import {
  BookTicker,
  Depth20,
  Kline,
  type Market,
  type MarketData,
  parseWith,
  type SchemaValidationError,
  Trade,
} from "@tradewire/schemas";
import type { z } from "zod";
import { DIFF_DEPTH_REFUSED, isDiffDepth, isPartialDepth } from "./stream-kinds.js";

/** Raw Binance event fields, read by name; the normalized result is what gets validated. */
type Raw = Record<string, unknown>;

export type NormalizeResult = { ok: true; value: MarketData } | { ok: false; reason: string };

/** `btcusdt@depth20@100ms` → `{ symbol: "BTCUSDT", stream: "depth20" }`. */
export function parseStreamName(stream: string): { symbol: string; stream: string } {
  let parsed = streamNames.get(stream);
  if (parsed === undefined) {
    const [symbol = "", kind = ""] = stream.split("@");
    parsed = { symbol: symbol.toUpperCase(), stream: kind };
    // A relay carries a fixed set of streams; the bound only guards against unbounded input.
    if (streamNames.size < 10_000) streamNames.set(stream, parsed);
  }
  return parsed;
}

const streamNames = new Map<string, { symbol: string; stream: string }>();

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
  if (data === null || typeof data !== "object")
    return { ok: false, reason: `${stream}: event is not an object` };
  const d = data as Raw;
  // One validation per message, of the normalized shape: the raw event is read by field name and
  // a missing or mistyped field fails that validation, naming the field. The candidates are plain
  // literals on purpose: an object spread here makes zod's validation about 10x slower.
  if (isDiffDepth(kind)) return { ok: false, reason: `${stream}: ${DIFF_DEPTH_REFUSED}` };
  if (isPartialDepth(kind)) {
    // Futures' partial depth is a depthUpdate event, like diff depth: only the stream name tells.
    if (d.e === "depthUpdate") {
      return validate(Depth20, stream, {
        venue: "binance",
        market,
        receiveTime,
        kind: "depth20",
        symbol: d.s,
        eventTime: d.E,
        lastUpdateId: d.u,
        bids: top20(d.b),
        asks: top20(d.a),
      });
    }
    if (d.lastUpdateId === undefined)
      return { ok: false, reason: `${stream}: not a partial depth or depthUpdate event` };
    // Spot partial depth carries neither symbol nor event time.
    return validate(Depth20, stream, {
      venue: "binance",
      market,
      receiveTime,
      kind: "depth20",
      symbol,
      eventTime: receiveTime,
      lastUpdateId: d.lastUpdateId,
      bids: top20(d.bids),
      asks: top20(d.asks),
    });
  }
  if (kind === "trade" || kind === "aggTrade") {
    if (d.e !== "trade" && d.e !== "aggTrade")
      return { ok: false, reason: `${stream}: not a trade or aggTrade event` };
    return validate(Trade, stream, {
      venue: "binance",
      market,
      receiveTime,
      kind: "trade",
      symbol: d.s,
      eventTime: d.E,
      tradeId: d.e === "trade" ? d.t : d.a,
      price: d.p,
      quantity: d.q,
      tradeTime: d.T,
      buyerIsMaker: d.m,
    });
  }
  if (kind.startsWith("kline")) {
    const k = d.k as Raw | undefined;
    if (d.e !== "kline" || k === null || typeof k !== "object")
      return { ok: false, reason: `${stream}: not a kline event` };
    return validate(Kline, stream, {
      venue: "binance",
      market,
      receiveTime,
      kind: "kline",
      symbol: d.s,
      eventTime: d.E,
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
    });
  }
  if (kind === "bookTicker" || stream === "!bookTicker") {
    return validate(BookTicker, stream, {
      venue: "binance",
      market,
      receiveTime,
      kind: "bookTicker",
      symbol: d.s,
      // Spot bookTicker has no event time; futures has `E`.
      eventTime: d.E ?? receiveTime,
      updateId: d.u,
      bidPrice: d.b,
      bidQty: d.B,
      askPrice: d.a,
      askQty: d.A,
    });
  }
  return { ok: false, reason: `${stream}: unsupported stream` };
}

function top20(levels: unknown): unknown {
  return Array.isArray(levels) && levels.length > 20 ? levels.slice(0, 20) : levels;
}

function validate(schema: z.ZodType<MarketData>, stream: string, candidate: unknown): NormalizeResult {
  const result = parseWith(schema, "MarketData", candidate);
  return result.ok
    ? { ok: true, value: result.value }
    : { ok: false, reason: `${stream}: ${(result.error as SchemaValidationError).message}` };
}
