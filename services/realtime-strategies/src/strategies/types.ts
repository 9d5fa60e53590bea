import type { SymbolState } from "../symbol-state.js";
import type { StrategyName } from "./names.js";

export type Trigger = "depth" | "trade" | "candle";

export interface Candidate {
  action: "buy" | "sell";
  /** 0..1 */
  confidence: number;
  /** The values that fired it. */
  indicators: Record<string, number>;
}

export type Evaluation = Candidate | { skip: string };

/** A strategy: what triggers it, when it is warm, and the rule. Parameters come from STRATEGY_PARAMS. */
export interface Strategy {
  name: StrategyName;
  trigger: Trigger;
  timeframe: string;
  /** Undefined when warm, else why not (logged; the strategy is not evaluated). */
  notWarm(s: SymbolState): string | undefined;
  evaluate(s: SymbolState, now: number): Evaluation;
}

export function isCandidate(e: Evaluation): e is Candidate {
  return !("skip" in e);
}

/** Confidence from how far a value went past its threshold, in [0.6, 0.95]. */
export function scaledConfidence(excess: number, range: number): number {
  return Math.min(0.95, 0.6 + 0.35 * Math.min(1, Math.max(0, excess / range)));
}
