import type { Quote } from "./decide.js";
import type { VenueProtection } from "./execution/venue.js";
import type { OrderRequest } from "./request.js";

/** Stop-loss / take-profit levels guarding one open position. */
export interface Protection {
  symbol: string;
  /** The entry that set them; the exit's id derives from it, so it executes once (dedup). */
  signalId: string;
  strategyId: string;
  /** +1 long, -1 short. */
  direction: 1 | -1;
  stopLoss?: number;
  takeProfit?: number;
  /** The exchange orders holding these levels (testnet/live); the engine then does not trigger them. */
  venue?: VenueProtection;
  /**
   * The levels stay with the engine: the market cannot hold them (a spot short, a stop alone), or
   * their exchange orders were canceled by hand. Any other levels without exchange orders (a
   * placement that failed, a crash before it) are placed on the exchange again.
   */
  engineOnly?: true;
}

/**
 * Levels for a new position from the request: absolute prices, or fractions of the fill price
 * (`stop_loss_pct` 0.01 = 1%, as the signal schema defines them).
 * Levels on the wrong side of the fill (a long's stop above its entry) are ignored, not trusted.
 */
export function protectionFor(
  req: OrderRequest,
  side: "BUY" | "SELL",
  fillPrice: number,
): Protection | undefined {
  const direction = side === "BUY" ? 1 : -1;
  const stop =
    req.stopLoss ??
    (req.stopLossPct === undefined ? undefined : fillPrice * (1 - direction * req.stopLossPct));
  const take =
    req.takeProfit ??
    (req.takeProfitPct === undefined ? undefined : fillPrice * (1 + direction * req.takeProfitPct));
  const stopLoss = stop !== undefined && (stop - fillPrice) * direction < 0 ? stop : undefined;
  const takeProfit = take !== undefined && (take - fillPrice) * direction > 0 ? take : undefined;
  if (stopLoss === undefined && takeProfit === undefined) return undefined;
  return {
    symbol: req.symbol,
    signalId: req.id,
    strategyId: req.strategyId,
    direction,
    stopLoss,
    takeProfit,
  };
}

/**
 * The levels a fill sets: the request's, for an order that is no close, once the position after
 * the fill points the order's way. A flip that filled only in part (a GTC limit whose rest never
 * filled, an IOC cut short) leaves the old position, smaller: the new side's levels would guard it
 * the wrong way (a long's stop under a short) and its own would be released. None then: the
 * current levels stay, resized to what is held.
 */
export function levelsAfterFill(
  req: OrderRequest,
  order: { side: "BUY" | "SELL"; closing: boolean },
  fillPrice: number,
  positionAfter: number,
): Protection | undefined {
  if (order.closing) return undefined;
  const levels = protectionFor(req, order.side, fillPrice);
  return levels !== undefined && Math.sign(positionAfter) === levels.direction ? levels : undefined;
}

/** Which level the market crossed: a long exits at the bid, a short at the ask. */
export function triggered(p: Protection, quote: Quote): "stop_loss" | "take_profit" | undefined {
  const exitPrice = p.direction === 1 ? quote.bid : quote.ask;
  if (p.stopLoss !== undefined && (exitPrice - p.stopLoss) * p.direction <= 0) return "stop_loss";
  if (p.takeProfit !== undefined && (exitPrice - p.takeProfit) * p.direction >= 0) return "take_profit";
  return undefined;
}

/** The CLOSE request a trigger sends through the normal pipeline (dedup, checks, execution). */
export function exitRequest(
  p: Protection,
  reason: "stop_loss" | "take_profit",
  now: number,
  /** A later attempt by the engine (2, 3…), or the exchange order of an exit that closed part of the position. */
  attempt: number | string = 1,
): OrderRequest {
  return {
    id: attempt === 1 ? `${p.signalId}:${reason}` : `${p.signalId}:${reason}:${attempt}`,
    source: "signal",
    strategyId: p.strategyId,
    symbol: p.symbol,
    action: "CLOSE",
    confidence: 1,
    timestampMs: now,
    orderType: "MARKET",
    leverage: 1,
  };
}
