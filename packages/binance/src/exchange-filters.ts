import type { Market } from "@tradewire/schemas";
import { z } from "zod";
import {
  assertDecimal,
  compareDecimal,
  multiplyDecimal,
  roundDownToStep,
  roundToTick,
  trimDecimal,
} from "./decimal.js";

/** The trading rules of one symbol, from `exchangeInfo` (all decimals as Binance writes them). */
export interface SymbolFilters {
  symbol: string;
  status: string;
  baseAsset: string;
  quoteAsset: string;
  tickSize: string;
  minPrice: string;
  maxPrice: string;
  stepSize: string;
  minQty: string;
  maxQty: string;
  /** MARKET_LOT_SIZE step when it applies (spot sends "0.00000000" when it does not). */
  marketStepSize?: string;
  /** MARKET_LOT_SIZE maxQty: spot sets it (from recent volume) even when its step is 0. */
  marketMaxQty?: string;
  /** MIN_NOTIONAL (`minNotional`, spot before 2023; `notional` on futures) or NOTIONAL (`minNotional`). */
  minNotional: string;
  /**
   * How far a LIMIT price may lie from the symbol's average price (spot) or mark price (futures),
   * as multipliers of it. Spot's PERCENT_PRICE bounds both sides alike and PERCENT_PRICE_BY_SIDE
   * per side (bid multipliers for a BUY, ask multipliers for a SELL); USD-M's PERCENT_PRICE bounds
   * a BUY from above and a SELL from below only (a bid far under the mark may rest).
   */
  percentPrice?: Record<"BUY" | "SELL", { up?: string; down?: string }>;
}

const Filter = z.looseObject({ filterType: z.string() });
const ExchangeInfo = z.looseObject({
  rateLimits: z
    .array(
      z.looseObject({
        rateLimitType: z.string(),
        interval: z.string(),
        intervalNum: z.number(),
        limit: z.number(),
      }),
    )
    .optional(),
  symbols: z.array(
    z.looseObject({
      symbol: z.string(),
      status: z.string(),
      baseAsset: z.string(),
      quoteAsset: z.string(),
      filters: z.array(Filter),
    }),
  ),
});

type RawFilter = z.infer<typeof Filter>;

function field(symbol: string, filter: RawFilter, key: string): string {
  const value = filter[key];
  if (typeof value !== "string") {
    throw new Error(
      `exchangeInfo ${symbol} ${filter.filterType}.${key}: expected a decimal string, got ${JSON.stringify(value)}`,
    );
  }
  return assertDecimal(`exchangeInfo ${symbol} ${filter.filterType}.${key}`, value);
}

function isZero(value: string): boolean {
  return compareDecimal(value, "0") === 0;
}

/**
 * Futures' MIN_NOTIONAL names its value `notional`; spot's MIN_NOTIONAL (before 2023) and NOTIONAL
 * say `minNotional`. With `market` given, the other key is an error rather than a fallback.
 */
function notionalKey(notional: RawFilter, market: Market | undefined): string {
  if (market === "futures") return "notional";
  if (market === "spot") return "minNotional";
  return notional.minNotional === undefined && notional.notional !== undefined ? "notional" : "minNotional";
}

/** The PERCENT_PRICE band per side, when the symbol has one. */
function percentPriceOf(
  symbol: string,
  by: Map<string, RawFilter>,
  market: Market | undefined,
): SymbolFilters["percentPrice"] {
  const bySide = by.get("PERCENT_PRICE_BY_SIDE");
  if (bySide !== undefined) {
    const band = (up: string, down: string) => ({
      up: field(symbol, bySide, up),
      down: field(symbol, bySide, down),
    });
    return {
      BUY: band("bidMultiplierUp", "bidMultiplierDown"),
      SELL: band("askMultiplierUp", "askMultiplierDown"),
    };
  }
  const both = by.get("PERCENT_PRICE");
  if (both === undefined) return undefined;
  const up = field(symbol, both, "multiplierUp");
  const down = field(symbol, both, "multiplierDown");
  // USD-M's filter carries multiplierDecimal and no avgPriceMins: it bands the mark price one way.
  const futures = market === "futures" || (market === undefined && both.avgPriceMins === undefined);
  return futures ? { BUY: { up }, SELL: { down } } : { BUY: { up, down }, SELL: { up, down } };
}

/**
 * Reads PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, MIN_NOTIONAL/NOTIONAL and PERCENT_PRICE(_BY_SIDE) per symbol from a spot
 * (`/api/v3/exchangeInfo`) or USD-M futures (`/fapi/v1/exchangeInfo`) answer; other filters are
 * ignored. A symbol missing a filter, or a filter with a malformed value, fails loudly naming the
 * symbol, filter and field. Without `market` the notional key is inferred from the filter.
 */
export function parseExchangeFilters(exchangeInfo: unknown, market?: Market): Map<string, SymbolFilters> {
  const parsed = ExchangeInfo.safeParse(exchangeInfo);
  if (!parsed.success)
    throw new Error(
      `exchangeInfo: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const out = new Map<string, SymbolFilters>();
  for (const s of parsed.data.symbols) {
    const by = new Map(s.filters.map((f) => [f.filterType, f]));
    const need = (type: string) => {
      const f = by.get(type);
      if (f === undefined) throw new Error(`exchangeInfo ${s.symbol}: no ${type} filter`);
      return f;
    };
    const price = need("PRICE_FILTER");
    const lot = need("LOT_SIZE");
    const marketLot = by.get("MARKET_LOT_SIZE");
    const notional = by.get("NOTIONAL") ?? by.get("MIN_NOTIONAL");
    if (notional === undefined)
      throw new Error(`exchangeInfo ${s.symbol}: no MIN_NOTIONAL or NOTIONAL filter`);
    const marketStep = marketLot === undefined ? undefined : field(s.symbol, marketLot, "stepSize");
    const marketMax = marketLot === undefined ? undefined : field(s.symbol, marketLot, "maxQty");
    const percentPrice = percentPriceOf(s.symbol, by, market);
    out.set(s.symbol, {
      symbol: s.symbol,
      status: s.status,
      baseAsset: s.baseAsset,
      quoteAsset: s.quoteAsset,
      tickSize: field(s.symbol, price, "tickSize"),
      minPrice: field(s.symbol, price, "minPrice"),
      maxPrice: field(s.symbol, price, "maxPrice"),
      stepSize: field(s.symbol, lot, "stepSize"),
      minQty: field(s.symbol, lot, "minQty"),
      maxQty: field(s.symbol, lot, "maxQty"),
      ...(marketStep !== undefined && !isZero(marketStep) ? { marketStepSize: marketStep } : {}),
      ...(marketMax !== undefined && !isZero(marketMax) ? { marketMaxQty: marketMax } : {}),
      minNotional: field(s.symbol, notional, notionalKey(notional, market)),
      ...(percentPrice === undefined ? {} : { percentPrice }),
    });
  }
  return out;
}

/** The REQUEST_WEIGHT limit per minute from `exchangeInfo.rateLimits`, when present. */
export function requestWeightPerMinute(exchangeInfo: unknown): number | undefined {
  const parsed = ExchangeInfo.safeParse(exchangeInfo);
  if (!parsed.success) return undefined;
  return parsed.data.rateLimits?.find(
    (r) => r.rateLimitType === "REQUEST_WEIGHT" && r.interval === "MINUTE" && r.intervalNum === 1,
  )?.limit;
}

export type FilteredOrder =
  | { ok: true; quantity: string; price: string; notional: string }
  | { ok: false; filter: string; field: string; value: string; reason: string };

/**
 * Rounds an order to the symbol's rules: quantity DOWN to the step (MARKET_LOT_SIZE's for market
 * orders when it applies), a limit price to the tick on the side that keeps it within the limit
 * asked (a BUY down, a SELL up; the nearest tick without a side); then rejects, with the filter and
 * the value, what the exchange would refuse (a LIMIT outside its PERCENT_PRICE band too, given a
 * reference price). Never rounds a quantity up, never sends an order that would fail.
 */
export function applyOrderFilters(
  f: SymbolFilters,
  order: {
    type: "MARKET" | "LIMIT";
    quantity: string;
    price: string;
    /** A USD-M reduce-only order: Binance waives the notional minimum for it (-4164 says so). */
    reduceOnlyFutures?: boolean;
    /** Whose limit it is: a BUY never pays above it, a SELL never sells below it. */
    side?: "BUY" | "SELL";
    /**
     * The price PERCENT_PRICE bands a LIMIT around: the average price (spot) or the mark price
     * (futures), or the live mid standing in for them. Without it (or a side) the band is not checked.
     */
    reference?: string;
  },
): FilteredOrder {
  assertDecimal("quantity", order.quantity);
  assertDecimal("price", order.price);
  const market = order.type === "MARKET";
  const step = market && f.marketStepSize !== undefined ? f.marketStepSize : f.stepSize;
  const maxQty = market && f.marketMaxQty !== undefined ? f.marketMaxQty : f.maxQty;
  const quantity = trimDecimal(roundDownToStep(order.quantity, step));
  const tickRounding = order.side === "BUY" ? "down" : order.side === "SELL" ? "up" : "nearest";
  const price = market
    ? trimDecimal(order.price)
    : trimDecimal(roundToTick(order.price, f.tickSize, tickRounding));
  const notional = multiplyDecimal(quantity, price);
  const fail = (filter: string, fieldName: string, value: string, reason: string): FilteredOrder => ({
    ok: false,
    filter,
    field: fieldName,
    value,
    reason,
  });
  if (isZero(quantity) || compareDecimal(quantity, f.minQty) < 0) {
    return fail(
      "LOT_SIZE",
      "quantity",
      order.quantity,
      `below_min_qty: ${order.quantity} rounds down to ${quantity} < minQty ${trimDecimal(f.minQty)} (step ${trimDecimal(step)})`,
    );
  }
  if (compareDecimal(quantity, maxQty) > 0) {
    return fail(
      "LOT_SIZE",
      "quantity",
      order.quantity,
      `above_max_qty: ${quantity} > maxQty ${trimDecimal(maxQty)}`,
    );
  }
  if (
    !market &&
    (compareDecimal(price, f.minPrice) < 0 || (!isZero(f.maxPrice) && compareDecimal(price, f.maxPrice) > 0))
  ) {
    return fail(
      "PRICE_FILTER",
      "price",
      order.price,
      `price_out_of_range: ${price} not within [${trimDecimal(f.minPrice)}, ${trimDecimal(f.maxPrice)}]`,
    );
  }
  const band = order.side === undefined ? undefined : f.percentPrice?.[order.side];
  if (!market && band !== undefined && order.reference !== undefined) {
    const reference = assertDecimal("reference", order.reference);
    const bound = (multiplier: string | undefined) =>
      multiplier === undefined ? undefined : multiplyDecimal(reference, multiplier);
    const [low, high] = [bound(band.down), bound(band.up)];
    // Cents where they read well; a price under 1 keeps its digits.
    const shown = (b: string) => (Number(b) >= 1 ? Number(b).toFixed(2) : trimDecimal(b));
    if (
      (low !== undefined && compareDecimal(price, low) < 0) ||
      (high !== undefined && compareDecimal(price, high) > 0)
    )
      return fail(
        "PERCENT_PRICE",
        "price",
        order.price,
        `price_too_far_from_market: ${price} is outside ${low === undefined ? "0" : shown(low)} to ${high === undefined ? "any" : shown(high)} (${trimDecimal(band.down ?? "0")} to ${band.up === undefined ? "any" : trimDecimal(band.up)} × ${trimDecimal(reference)}) for a ${order.side}`,
      );
  }
  if (!order.reduceOnlyFutures && compareDecimal(notional, f.minNotional) < 0) {
    return fail(
      "MIN_NOTIONAL",
      "notional",
      notional,
      `below_min_notional: ${quantity} x ${price} = ${notional} < ${trimDecimal(f.minNotional)} after rounding quantity ${order.quantity} down to ${quantity}`,
    );
  }
  return { ok: true, quantity, price, notional };
}
