export const STRATEGY_NAMES = [
  "orderbook_skew",
  "spread_liquidity",
  "trade_momentum",
  "ema_pullback_continuation",
  "momentum_pulse",
  "rsi_extreme_reversal",
  "bollinger_breakout",
  "multi_timeframe_trend",
] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];
