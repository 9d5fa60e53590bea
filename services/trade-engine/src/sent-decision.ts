import { z } from "zod";
import type { Decision, Quote } from "./decide.js";

type Execute = Extract<Decision, { kind: "execute" }>;

/**
 * An execute decision as stored on its signal right before its order goes to an exchange
 * (`engine_signals.sent`). A decision whose order may be out is final: a resumed signal whose order
 * the exchange has records that order, whatever a new decision would say (the kill switch turned on
 * meanwhile, the quote or the signal gone stale); only an order the exchange never took is decided
 * again.
 */
export const SentDecision = z.object({
  side: z.enum(["BUY", "SELL"]),
  quantity: z.string(),
  refPrice: z.number(),
  notional: z.number(),
  closing: z.boolean(),
  limitPrice: z.string().optional(),
  timeInForce: z.enum(["GTC", "IOC", "FOK"]).optional(),
});
export type SentDecision = z.output<typeof SentDecision>;

export function sentDecision(d: Execute): SentDecision {
  const { kind: _kind, ...sent } = d;
  return sent;
}

export function resumedDecision(sent: SentDecision): Execute {
  return { kind: "execute", ...sent };
}

/** The quote a resumed decision goes out with when none is live: an exchange ignores it (see NewOrder.quote). */
export function referenceQuote(d: Pick<Execute, "refPrice">, at: number): Quote {
  return { bid: d.refPrice, ask: d.refPrice, at };
}
