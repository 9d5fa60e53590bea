import { z } from "zod";
import { caseInsensitiveEnum, Numeric, SymbolName, TimestampMs } from "./primitives.js";

export const SIGNAL_ACTIONS = ["buy", "sell", "hold", "close"] as const;
export type SignalAction = (typeof SIGNAL_ACTIONS)[number];

const positive = Numeric.pipe(z.number().positive());
const fraction = Numeric.pipe(z.number().min(0).max(1));

/**
 * A trading signal on `signals.trading` (or `signals.trading.<strategy_id>`). Accepts the widely
 * used contract: action in any case, numbers as numbers or strings, timestamp as ISO or epoch
 * s/ms (normalized to epoch ms), stop loss / take profit absolute or as `*_pct` (fraction, 0.01 = 1%).
 */
export const TradingSignal = z
  .object({
    signal_id: z.string().min(1).max(200).optional(),
    strategy_id: z.string().min(1).max(100),
    symbol: SymbolName,
    action: caseInsensitiveEnum(SIGNAL_ACTIONS),
    confidence: fraction,
    price: positive.optional(),
    /** 0 means "the engine sizes it". */
    quantity: Numeric.pipe(z.number().nonnegative()).optional(),
    current_price: positive.optional(),
    timeframe: z.string().min(1).max(20).optional(),
    stop_loss: positive.optional(),
    take_profit: positive.optional(),
    stop_loss_pct: fraction.optional(),
    take_profit_pct: fraction.optional(),
    timestamp: TimestampMs,
    order_type: caseInsensitiveEnum(["MARKET", "LIMIT"] as const).optional(),
    time_in_force: caseInsensitiveEnum(["GTC", "IOC", "FOK"] as const).optional(),
    position_size_pct: fraction.optional(),
    position_size_usd: positive.optional(),
    quote_quantity: positive.optional(),
    leverage: Numeric.pipe(z.number().int().min(1).max(125)).optional(),
    source: z.string().max(200).optional(),
    strategy: z.string().max(200).optional(),
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
