import { roundDownToStep, type SymbolFilters, toDecimal } from "@tradewire/binance";
import type { Config } from "./config.js";

/** Quantity step by price magnitude (LOT_SIZE stand-in when the exchange's filters are not known). */
export function stepFor(price: number): string {
  if (price >= 10_000) return "0.00001";
  if (price >= 100) return "0.0001";
  if (price >= 1) return "0.01";
  return "1";
}

/** What an order selling a symbol's position must reach for the exchange (or paper) to take it. */
export interface Lot {
  /** The quantity step and minimum; none in paper without filters (a CLOSE sells exactly what is held). */
  stepSize?: string;
  minQty?: string;
  /** The least notional; none on USD-M, which waives it for a reduce-only order. */
  minNotional?: number;
}

/**
 * The lot rules an order closing `symbol` meets, as sizing applies them: the exchange's filters;
 * else, on an exchange, the stand-in step at `price`; in paper without filters, MIN_NOTIONAL only.
 */
export function lotOf(
  symbol: string,
  price: number,
  cfg: Pick<Config, "TRADING_MODE" | "BINANCE_MARKET" | "MIN_NOTIONAL">,
  filters: ReadonlyMap<string, SymbolFilters> | undefined,
): Lot | undefined {
  const paper = cfg.TRADING_MODE === "paper";
  if (filters !== undefined) {
    const f = filters.get(symbol);
    if (f === undefined) return undefined;
    const reduceOnlyWaived = !paper && cfg.BINANCE_MARKET === "futures";
    return {
      stepSize: f.stepSize,
      minQty: f.minQty,
      ...(reduceOnlyWaived ? {} : { minNotional: Number(f.minNotional) }),
    };
  }
  if (paper) return { minNotional: cfg.MIN_NOTIONAL };
  // A price not known (a position set by reconciliation from flat keeps avgPrice 0).
  if (!(price > 0)) return undefined;
  const step = stepFor(price);
  return { stepSize: step, minQty: step, minNotional: cfg.MIN_NOTIONAL };
}

/**
 * A remainder no order could sell: under the minimum once rounded down to the step, or worth less
 * than the least notional at `price` (the position's average price: what it is worth does not
 * flicker in and out of dust with the market). A spot commission paid in the base asset leaves one
 * after a close (0.00123 bought, 0.00122877 held, 0.00122 sold), a sale of most of a position
 * another. It is not an open position, has nothing to guard and cannot be closed; the exchange's
 * balance still holds it, so the books keep it.
 */
export function isDust(quantity: number, lot: Lot | undefined, price: number): boolean {
  if (lot === undefined || quantity === 0) return false;
  const held = Math.abs(quantity);
  const tradable = lot.stepSize === undefined ? held : Number(roundDownToStep(toDecimal(held), lot.stepSize));
  if (tradable === 0 || tradable < Number(lot.minQty ?? 0)) return true;
  return lot.minNotional !== undefined && price > 0 && tradable * price < lot.minNotional;
}
