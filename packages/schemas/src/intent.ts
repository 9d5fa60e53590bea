import { z } from "zod";
import {
  boundedText,
  caseInsensitiveEnum,
  Fraction,
  Leverage,
  Positive,
  SymbolName,
  TimestampMs,
} from "./primitives.js";

export const INTENT_ACTIONS = ["BUY", "SELL", "CLOSE"] as const;
export type IntentAction = (typeof INTENT_ACTIONS)[number];
const DIRECTION_TO_ACTION = { LONG: "BUY", SHORT: "SELL", FLAT: "CLOSE" } as const;

const TradeIntentFields = z.object({
  symbol: SymbolName,
  action: caseInsensitiveEnum(INTENT_ACTIONS).optional(),
  side: caseInsensitiveEnum(INTENT_ACTIONS).optional(),
  direction: caseInsensitiveEnum(["LONG", "SHORT", "FLAT"] as const).optional(),
  confidence: Fraction,
  timestamp: TimestampMs.optional(),
  position_size_usd: Positive.optional(),
  leverage: Leverage.optional(),
  entry_price: Positive.optional(),
  stop_loss: Positive.optional(),
  take_profit: Positive.optional(),
  model: boundedText({ max: 200 }).optional(),
  regime: boundedText({ max: 200 }).optional(),
  harvest_policy: boundedText({ max: 200 }).optional(),
  /** Set by trade-intent-consumer: `<stream key>:<entry id>`, the dedup key downstream. */
  intent_id: boundedText({ min: 1, max: 300 }).optional(),
  trace_id: boundedText({ max: 200 }).optional(),
  correlation_id: boundedText({ max: 200 }).optional(),
  source: boundedText({ max: 200 }).optional(),
});

/**
 * A trade intent as AI engines and operators write it. `action`, `side` and `direction`
 * (LONG|SHORT|FLAT) are aliases; at least one is required and they must agree. The output
 * always has `action` and no alias fields.
 */
export const TradeIntent = TradeIntentFields.transform((raw, ctx) => {
  // The rest is a fresh object without the aliases: `delete` would drop it into slow dictionary
  // mode, which cost more than the whole copy on the intake hot path.
  const { side, direction, ...intent } = raw;
  const fromDirection = direction === undefined ? undefined : DIRECTION_TO_ACTION[direction];
  const action = intent.action ?? side ?? fromDirection;
  if (action === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["action"],
      message: "one of action, side or direction is required",
    });
    return z.NEVER;
  }
  if ((side !== undefined && side !== action) || (fromDirection !== undefined && fromDirection !== action)) {
    ctx.addIssue({ code: "custom", path: ["action"], message: "action, side and direction disagree" });
    return z.NEVER;
  }
  intent.action = action;
  return intent as typeof intent & { action: IntentAction };
});
export type TradeIntent = z.output<typeof TradeIntent>;
export type TradeIntentInput = z.input<typeof TradeIntent>;
