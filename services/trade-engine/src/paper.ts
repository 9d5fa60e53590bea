import { toDecimal } from "@tradewire/binance";
import type { Quote } from "./decide.js";

export interface PaperFill {
  price: string;
  fee: string;
}

/**
 * A paper market order fills at the current quote (buys at the ask, sells at the bid) moved
 * against the taker by the configured slippage; never at a price that did not exist (F26).
 */
export function paperMarketFill(
  side: "BUY" | "SELL",
  quantity: string,
  quote: Quote,
  slippageBps: number,
  feeRate: number,
  /** A marketable LIMIT's price: slippage never takes the fill past it. */
  limit?: number,
): PaperFill {
  const base = side === "BUY" ? quote.ask : quote.bid;
  const slipped = side === "BUY" ? base * (1 + slippageBps / 10_000) : base * (1 - slippageBps / 10_000);
  const price =
    limit === undefined ? slipped : side === "BUY" ? Math.min(slipped, limit) : Math.max(slipped, limit);
  return { price: toDecimal(price), fee: toDecimal(Number(quantity) * price * feeRate) };
}

/** Whether an order of `side` goes against a position of `positionQuantity`: it reduces it, or flips it. */
export function opposes(positionQuantity: number, side: "BUY" | "SELL"): boolean {
  return positionQuantity !== 0 && Math.sign(positionQuantity) !== (side === "BUY" ? 1 : -1);
}

export interface Position {
  quantity: number;
  avgPrice: number;
  realizedPnl: number;
}

/**
 * Money and quantities are doubles; every sum is rounded to 8 decimals (Binance's finest step), so
 * float noise such as -1.5691000000000002 never reaches the books, the logs or the API.
 */
export const round8 = (n: number): number => Math.round(n * 1e8) / 1e8;

/** Applies a fill to a netted position; returns the new position and the PnL realized by it. */
export function applyFill(
  pos: Position,
  side: "BUY" | "SELL",
  qty: number,
  price: number,
  fee: number,
): { position: Position; realized: number } {
  const signed = side === "BUY" ? qty : -qty;
  const sameDirection = pos.quantity === 0 || Math.sign(pos.quantity) === Math.sign(signed);
  if (sameDirection) {
    const quantity = round8(pos.quantity + signed);
    const avgPrice = round8((Math.abs(pos.quantity) * pos.avgPrice + qty * price) / Math.abs(quantity));
    return {
      position: { quantity, avgPrice, realizedPnl: round8(pos.realizedPnl - fee) },
      realized: round8(-fee),
    };
  }
  const closed = Math.min(Math.abs(pos.quantity), qty);
  const realized = round8(closed * (price - pos.avgPrice) * Math.sign(pos.quantity) - fee);
  const quantity = round8(pos.quantity + signed);
  const flipped = Math.sign(quantity) !== 0 && Math.sign(quantity) !== Math.sign(pos.quantity);
  return {
    position: {
      quantity,
      avgPrice: quantity === 0 ? 0 : flipped ? price : pos.avgPrice,
      realizedPnl: round8(pos.realizedPnl + realized),
    },
    realized,
  };
}

/**
 * What the open positions are under water at `mid` (0 or less), each from its entry price; their
 * gains offset nothing. A position with no mid, or with no entry price (found by reconciliation
 * with no quote), counts none.
 */
export function unrealizedLosses(
  positions: ReadonlyMap<string, Pick<Position, "quantity" | "avgPrice">>,
  mid: (symbol: string) => number | undefined,
): number {
  let losses = 0;
  for (const [symbol, p] of positions) {
    const price = mid(symbol);
    if (price !== undefined && p.avgPrice > 0) losses += Math.min(0, p.quantity * (price - p.avgPrice));
  }
  return losses;
}
