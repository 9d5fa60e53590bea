import { z } from "zod";
import {
  boundedText,
  caseInsensitiveEnum,
  Fraction,
  Leverage,
  numericIn,
  Positive,
  SymbolName,
  TimestampMs,
} from "./primitives.js";

export const SIGNAL_ACTIONS = ["buy", "sell", "hold", "close"] as const;
export type SignalAction = (typeof SIGNAL_ACTIONS)[number];

/**
 * A trading signal on `signals.trading` (or `signals.trading.<strategy_id>`). Accepts the widely
 * used contract: action in any case, numbers as numbers or strings, timestamp as ISO or epoch
 * s/ms (normalized to epoch ms), stop loss / take profit absolute or as `*_pct` (Fraction, 0.01 = 1%).
 */
export const TradingSignal = z
  .object({
    signal_id: boundedText({ min: 1, max: 200 }).optional(),
    strategy_id: boundedText({ min: 1, max: 100 }),
    symbol: SymbolName,
    action: caseInsensitiveEnum(SIGNAL_ACTIONS),
    confidence: Fraction,
    price: Positive.optional(),
    /** 0 means "the engine sizes it". */
    quantity: numericIn({ min: 0 }).optional(),
    current_price: Positive.optional(),
    timeframe: boundedText({ min: 1, max: 20 }).optional(),
    stop_loss: Positive.optional(),
    take_profit: Positive.optional(),
    stop_loss_pct: Fraction.optional(),
    take_profit_pct: Fraction.optional(),
    timestamp: TimestampMs,
    order_type: caseInsensitiveEnum(["MARKET", "LIMIT"] as const).optional(),
    time_in_force: caseInsensitiveEnum(["GTC", "IOC", "FOK"] as const).optional(),
    position_size_pct: Fraction.optional(),
    position_size_usd: Positive.optional(),
    quote_quantity: Positive.optional(),
    leverage: Leverage.optional(),
    source: boundedText({ max: 200 }).optional(),
    strategy: boundedText({ max: 200 }).optional(),
    indicators: z.record(z.string(), z.number().nullable()).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((s) => s.order_type !== "LIMIT" || s.price !== undefined, {
    message: "a LIMIT order needs a price",
    path: ["price"],
  });
export type TradingSignal = z.infer<typeof TradingSignal>;
/** What a producer may send (before normalization). */
export type TradingSignalInput = z.input<typeof TradingSignal>;
