import { roundDownToStep, type SymbolFilters, toDecimal } from "@tradewire/binance";
import type { Config } from "./config.js";

/** Quantity step by price magnitude (LOT_SIZE stand-in when the exchange's filters are not known). */
export function stepFor(price: number): string {
  if (price >= 10_000) return "0.00001";
  if (price >= 100) return "0.0001";
  if (price >= 1) return "0.01";
  return "1";
}

/** The step and minimum a symbol's quantity trades by. */
export interface Lot {
  stepSize: string;
  minQty: string;
}

/**
 * The exchange's lot rules for `symbol`; else, on an exchange, the stand-in step at `price`; in
 * paper without filters none (a CLOSE there sells exactly what is held, so nothing is left).
 */
export function lotOf(
  symbol: string,
  price: number,
  mode: Config["TRADING_MODE"],
  filters: ReadonlyMap<string, SymbolFilters> | undefined,
): Lot | undefined {
  if (filters !== undefined) return filters.get(symbol);
  // Paper, or a price not known (a position set by reconciliation from flat keeps avgPrice 0).
  if (mode === "paper" || !(price > 0)) return undefined;
  const step = stepFor(price);
  return { stepSize: step, minQty: step };
}

/**
 * A remainder the exchange would not let be sold: under the minimum once rounded down to the step.
 * A spot commission paid in the base asset leaves one after a close (0.00123 bought, 0.00122877
 * held, 0.00122 sold). It is not an open position, has nothing to guard and cannot be closed; the
 * exchange's balance still holds it, so the books keep it.
 */
export function isDust(quantity: number, lot: Lot | undefined): boolean {
  if (lot === undefined || quantity === 0) return false;
  const tradable = Number(roundDownToStep(toDecimal(Math.abs(quantity)), lot.stepSize));
  return tradable === 0 || tradable < Number(lot.minQty);
}
