import type { KlineInterval, Market } from "@tradewire/schemas";
import { z } from "zod";
import { BinanceError } from "./errors.js";
import type { BinanceRest } from "./rest.js";

/** One of Binance's 12-field kline rows, prices as strings. */
const KlineTuple = z.tuple([
  z.number().int(),
  z.string(),
  z.string(),
  z.string(),
  z.string(),
  z.string(),
  z.number().int(),
  z.string(),
  z.number().int(),
  z.string(),
  z.string(),
  z.string(),
]);

export interface BinanceKline {
  openTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  closeTime: number;
  quoteVolume: string;
  trades: number;
  takerBuyBaseVolume: string;
  takerBuyQuoteVolume: string;
}

export const MAX_KLINES_LIMIT: Record<Market, number> = { spot: 1000, futures: 1500 };
const PATH: Record<Market, string> = { spot: "/api/v3/klines", futures: "/fapi/v1/klines" };

export interface KlinesRequest {
  market: Market;
  symbol: string;
  interval: KlineInterval;
  startTime: number;
  /** Inclusive last open time. */
  endTime: number;
  limit?: number;
  signal?: AbortSignal;
}

/** Parses a klines response, naming the row and field that is wrong. */
export function parseKlines(body: unknown): BinanceKline[] {
  const rows = z.array(KlineTuple).safeParse(body);
  if (!rows.success) {
    const issue = rows.error.issues[0];
    throw new BinanceError(
      "INVALID_RESPONSE",
      `klines response: ${issue?.path.join(".")}: ${issue?.message}`,
      false,
    );
  }
  return rows.data.map(
    ([
      openTime,
      open,
      high,
      low,
      close,
      volume,
      closeTime,
      quoteVolume,
      trades,
      takerBuyBaseVolume,
      takerBuyQuoteVolume,
    ]) => ({
      openTime,
      open,
      high,
      low,
      close,
      volume,
      closeTime,
      quoteVolume,
      trades,
      takerBuyBaseVolume,
      takerBuyQuoteVolume,
    }),
  );
}

export async function fetchKlines(rest: BinanceRest, req: KlinesRequest): Promise<BinanceKline[]> {
  const body = await rest.get<unknown>(
    PATH[req.market],
    {
      symbol: req.symbol,
      interval: req.interval,
      startTime: req.startTime,
      endTime: req.endTime,
      limit: req.limit ?? MAX_KLINES_LIMIT[req.market],
    },
    req.signal,
  );
  return parseKlines(body);
}

/**
 * Pages through a range in ascending open time until it is covered or the exchange has no more. A
 * stop (`signal`) throws its reason, between pages too: ending quietly would read as the exchange
 * having nothing more, and a gap-fill would record the rest as unfillable.
 */
export async function* klinePages(rest: BinanceRest, req: KlinesRequest): AsyncGenerator<BinanceKline[]> {
  let start = req.startTime;
  while (start <= req.endTime) {
    req.signal?.throwIfAborted();
    const page = await fetchKlines(rest, { ...req, startTime: start });
    if (page.length === 0) return;
    yield page;
    const last = page.at(-1);
    if (!last || page.length < (req.limit ?? MAX_KLINES_LIMIT[req.market])) return;
    start = last.openTime + 1;
  }
}
