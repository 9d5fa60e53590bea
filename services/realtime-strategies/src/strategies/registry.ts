import { z } from "zod";
import { orderbookSkew, spreadLiquidity, tradeMomentum } from "./book.js";
import { bollingerBreakout, emaPullback, momentumPulse, multiTimeframeTrend, rsiReversal } from "./candle.js";
import type { StrategyName } from "./names.js";
import type { Strategy } from "./types.js";

/** Every tunable parameter with its default; STRATEGY_PARAMS overrides them per strategy. */
export const StrategyParams = z
  .object({
    orderbook_skew: z
      .object({
        imbalanceThreshold: z.number().min(0).max(1).default(0.35),
        maxSpreadTicks: z.number().positive().default(3),
      })
      .strict()
      .default({ imbalanceThreshold: 0.35, maxSpreadTicks: 3 }),
    spread_liquidity: z
      .object({
        abnormalSpreadRatio: z.number().positive().default(1.4),
        imbalanceThreshold: z.number().min(0).max(1).default(0.3),
      })
      .strict()
      .default({ abnormalSpreadRatio: 1.4, imbalanceThreshold: 0.3 }),
    trade_momentum: z
      .object({
        flowThreshold: z.number().min(0).max(1).default(0.5),
        minTradesPerSecond: z.number().min(0).default(5),
      })
      .strict()
      .default({ flowThreshold: 0.5, minTradesPerSecond: 5 }),
    momentum_pulse: z
      .object({ adxMin: z.number().min(0).default(20) })
      .strict()
      .default({ adxMin: 20 }),
    rsi_extreme_reversal: z
      .object({ oversold: z.number().default(30), overbought: z.number().default(70) })
      .strict()
      .default({ oversold: 30, overbought: 70 }),
    bollinger_breakout: z
      .object({ volumeFactor: z.number().min(0).default(1.2) })
      .strict()
      .default({ volumeFactor: 1.2 }),
  })
  .strict();
export type StrategyParams = z.output<typeof StrategyParams>;

export function buildStrategies(names: readonly StrategyName[], params: StrategyParams): Strategy[] {
  const all: Record<StrategyName, () => Strategy> = {
    orderbook_skew: () => orderbookSkew({ ...params.orderbook_skew, abnormalSpreadRatio: 0 }),
    spread_liquidity: () =>
      spreadLiquidity({ ...params.spread_liquidity, maxSpreadTicks: Number.POSITIVE_INFINITY }),
    trade_momentum: () => tradeMomentum(params.trade_momentum),
    ema_pullback_continuation: () => emaPullback(),
    momentum_pulse: () => momentumPulse(params.momentum_pulse),
    rsi_extreme_reversal: () => rsiReversal(params.rsi_extreme_reversal),
    bollinger_breakout: () => bollingerBreakout(params.bollinger_breakout),
    multi_timeframe_trend: () => multiTimeframeTrend(),
  };
  return names.map((n) => all[n]());
}
