import { createHash } from "node:crypto";
import type { TimeInForce } from "@tradewire/binance";
import type { TradeIntent, TradingSignal } from "@tradewire/schemas";
import { z } from "zod";

/** One internal order request, whether it came as a strategy signal or an intent. */
export interface OrderRequest {
  id: string;
  source: "signal" | "intent";
  strategyId: string;
  symbol: string;
  action: "BUY" | "SELL" | "CLOSE" | "HOLD";
  confidence: number;
  timestampMs: number;
  /**
   * MARKET fills at the quote. A LIMIT fills at `limitPrice` or better: GTC rests until the market
   * reaches it (in the paper book, or working on the exchange), IOC and FOK fill at once or not at all.
   */
  orderType: "MARKET" | "LIMIT";
  limitPrice?: number;
  /** A LIMIT's time in force (default GTC). */
  timeInForce?: TimeInForce;
  quantity?: number;
  quoteQuantity?: number;
  positionSizeUsd?: number;
  positionSizePct?: number;
  leverage: number;
  stopLoss?: number;
  takeProfit?: number;
  stopLossPct?: number;
  takeProfitPct?: number;
}

/** An OrderRequest as its claim stores it (`engine_signals.request`), read back to resume it. */
export const StoredRequest = z.object({
  id: z.string().min(1),
  source: z.enum(["signal", "intent"]),
  strategyId: z.string(),
  symbol: z.string().min(1),
  action: z.enum(["BUY", "SELL", "CLOSE", "HOLD"]),
  confidence: z.number(),
  timestampMs: z.number(),
  orderType: z.enum(["MARKET", "LIMIT"]),
  limitPrice: z.number().optional(),
  timeInForce: z.enum(["GTC", "IOC", "FOK"]).optional(),
  quantity: z.number().optional(),
  quoteQuantity: z.number().optional(),
  positionSizeUsd: z.number().optional(),
  positionSizePct: z.number().optional(),
  leverage: z.number(),
  stopLoss: z.number().optional(),
  takeProfit: z.number().optional(),
  stopLossPct: z.number().optional(),
  takeProfitPct: z.number().optional(),
}) satisfies z.ZodType<OrderRequest>;

const BUCKET_MS = 60_000;

/** The fields every lifecycle log line of a request carries. */
export const lifecycleOf = (req: OrderRequest) => ({
  signalId: req.id,
  source: req.source,
  strategyId: req.strategyId,
  symbol: req.symbol,
});

/**
 * Without a signal_id, a fingerprint of strategy, symbol, action, price and minute bucket: the
 * same signal re-sent is recognised, a new one a minute later is not (F22).
 */
export function signalFingerprint(s: TradingSignal): string {
  const bucket = Math.floor(s.timestamp / BUCKET_MS);
  const text = [s.strategy_id, s.symbol, s.action, s.price ?? s.current_price ?? "", bucket].join("|");
  return `fp-${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
}

export function fromSignal(s: TradingSignal): OrderRequest {
  return {
    id: s.signal_id ?? signalFingerprint(s),
    source: "signal",
    strategyId: s.strategy_id,
    symbol: s.symbol,
    action:
      s.action === "hold" ? "HOLD" : s.action === "close" ? "CLOSE" : s.action === "buy" ? "BUY" : "SELL",
    confidence: s.confidence,
    timestampMs: s.timestamp,
    // The schema guarantees a LIMIT carries `price`.
    ...(s.order_type === "LIMIT"
      ? { orderType: "LIMIT", limitPrice: s.price, timeInForce: s.time_in_force ?? "GTC" }
      : { orderType: "MARKET" }),
    quantity: s.quantity && s.quantity > 0 ? s.quantity : undefined,
    quoteQuantity: s.quote_quantity,
    positionSizeUsd: s.position_size_usd,
    positionSizePct: s.position_size_pct,
    leverage: s.leverage ?? 1,
    stopLoss: s.stop_loss,
    takeProfit: s.take_profit,
    stopLossPct: s.stop_loss_pct,
    takeProfitPct: s.take_profit_pct,
  };
}

/** Intents carry `intent_id` (`<stream>:<entry id>`) from the intent consumer; age from their timestamp. */
/** `sentAtMs` dates an intent without its own timestamp: when the stream stored it, not when it is read. */
export function fromIntent(i: TradeIntent, sentAtMs: number): OrderRequest {
  return {
    id: i.intent_id ?? `intent-${i.symbol}-${i.timestamp ?? sentAtMs}`,
    source: "intent",
    strategyId: i.model ?? "intent",
    symbol: i.symbol,
    action: i.action,
    confidence: i.confidence,
    timestampMs: i.timestamp ?? sentAtMs,
    orderType: "MARKET",
    positionSizeUsd: i.position_size_usd,
    leverage: i.leverage ?? 1,
    stopLoss: i.stop_loss,
    takeProfit: i.take_profit,
  };
}
