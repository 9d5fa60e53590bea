import { z } from "zod";
import { DecimalString, SymbolName } from "./primitives.js";

export const TradingMode = z.enum(["paper", "testnet", "live"]);
export type TradingMode = z.infer<typeof TradingMode>;
export const OrderSide = z.enum(["BUY", "SELL"]);
export type OrderSide = z.infer<typeof OrderSide>;
export const OrderType = z.enum([
  "MARKET",
  "LIMIT",
  "STOP_MARKET",
  "TAKE_PROFIT_MARKET",
  "STOP_LOSS_LIMIT",
  "OCO",
]);
export type OrderType = z.infer<typeof OrderType>;
export const RejectionSource = z.enum(["validation", "dedup", "risk", "sizing", "exchange", "paper"]);
export type RejectionSource = z.infer<typeof RejectionSource>;

const OrderEventBase = z.object({
  /** Unique per event; the JetStream Nats-Msg-Id. */
  event_id: z.string().min(1),
  order_id: z.string().min(1),
  client_order_id: z.string().min(1),
  /** The signal or intent that caused the order. */
  signal_id: z.string().min(1),
  strategy_id: z.string().optional(),
  symbol: SymbolName,
  side: OrderSide,
  type: OrderType,
  quantity: DecimalString,
  price: DecimalString.optional(),
  mode: TradingMode,
  timestamp: z.number().int().nonnegative(),
});

const Fill = {
  filled_quantity: DecimalString,
  avg_price: DecimalString,
  fee: DecimalString,
  fee_asset: z.string().min(1),
  /**
   * Why the fee could not be read when the fill was recorded: `fee` leaves it out (0) until
   * reconciliation reads it, then the fill, the position's and the day's PnL carry it (GET /signals/:id).
   */
  fee_unread: z.string().min(1).optional(),
};

export const OrderPlaced = OrderEventBase.extend({ event: z.literal("placed") });
export const OrderFilled = OrderEventBase.extend({ event: z.literal("filled"), ...Fill });
export const OrderPartialFill = OrderEventBase.extend({ event: z.literal("partial_fill"), ...Fill });
export const OrderCanceled = OrderEventBase.extend({
  event: z.literal("canceled"),
  reason: z.string().min(1),
});
export const OrderRejected = OrderEventBase.extend({
  event: z.literal("rejected"),
  rejection_source: RejectionSource,
  rejection_reason: z.string().min(1),
});

export const OrderEvent = z.discriminatedUnion("event", [
  OrderPlaced,
  OrderFilled,
  OrderPartialFill,
  OrderCanceled,
  OrderRejected,
]);
export type OrderEvent = z.infer<typeof OrderEvent>;
export type OrderEventKind = OrderEvent["event"];
