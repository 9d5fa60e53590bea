import type { SymbolState } from "../symbol-state.js";
import { type Evaluation, type Strategy, scaledConfidence } from "./types.js";

export interface BookParams {
  imbalanceThreshold: number;
  maxSpreadTicks: number;
  abnormalSpreadRatio: number;
}

const bookWarm = (s: SymbolState) =>
  s.imbalance.isReady && !Number.isNaN(s.spreadTicks) ? undefined : "no order book yet";

/** orderbook_skew: top-5 depth imbalance beyond ±threshold with a tight spread → follow the heavy side. */
export function orderbookSkew(p: BookParams): Strategy {
  return {
    name: "orderbook_skew",
    trigger: "depth",
    timeframe: "tick",
    notWarm: bookWarm,
    evaluate(s): Evaluation {
      const imb = s.imbalance.value;
      if (s.spreadTicks > p.maxSpreadTicks)
        return { skip: `spread ${s.spreadTicks} ticks > ${p.maxSpreadTicks}` };
      if (Math.abs(imb) < p.imbalanceThreshold)
        return { skip: `imbalance ${imb.toFixed(3)} within ±${p.imbalanceThreshold}` };
      return {
        action: imb > 0 ? "buy" : "sell",
        confidence: scaledConfidence(Math.abs(imb) - p.imbalanceThreshold, 1 - p.imbalanceThreshold),
        indicators: { depth_imbalance: imb, spread_ticks: s.spreadTicks },
      };
    },
  };
}

/** spread_liquidity: an abnormally wide spread (≥ ratio × its average) normalizing → follow the book's lean. */
export function spreadLiquidity(p: BookParams): Strategy {
  return {
    name: "spread_liquidity",
    trigger: "depth",
    timeframe: "tick",
    notWarm: (s) =>
      bookWarm(s) ?? (s.spreadAvg.isReady ? undefined : "spread average warming up (200 book updates)"),
    evaluate(s): Evaluation {
      const avg = s.spreadAvg.value;
      const wasWide = s.prevSpreadTicks >= p.abnormalSpreadRatio * avg;
      const normal = s.spreadTicks <= avg;
      if (!(wasWide && normal)) return { skip: "no abnormal spread normalizing" };
      const imb = s.imbalance.value;
      if (Math.abs(imb) < p.imbalanceThreshold / 2) return { skip: "spread normalized with a balanced book" };
      return {
        action: imb > 0 ? "buy" : "sell",
        confidence: scaledConfidence(Math.abs(imb), 1),
        indicators: {
          spread_ticks: s.spreadTicks,
          prev_spread_ticks: s.prevSpreadTicks,
          spread_avg: avg,
          depth_imbalance: imb,
        },
      };
    },
  };
}

export interface FlowParams {
  flowThreshold: number;
  minTradesPerSecond: number;
}

/** trade_momentum: aggressor-volume imbalance over 10 s beyond ±threshold with enough trade velocity. */
export function tradeMomentum(p: FlowParams): Strategy {
  return {
    name: "trade_momentum",
    trigger: "trade",
    timeframe: "tick",
    notWarm: (s) => (s.flow.isReady ? undefined : "no trades in the window yet"),
    evaluate(s): Evaluation {
      const flow = s.flow.value;
      if (s.tradeVelocity < p.minTradesPerSecond)
        return { skip: `velocity ${s.tradeVelocity} trades/s < ${p.minTradesPerSecond}` };
      if (Math.abs(flow) < p.flowThreshold)
        return { skip: `flow ${flow.toFixed(3)} within ±${p.flowThreshold}` };
      return {
        action: flow > 0 ? "buy" : "sell",
        confidence: scaledConfidence(Math.abs(flow) - p.flowThreshold, 1 - p.flowThreshold),
        indicators: { trade_flow_imbalance: flow, trades_per_second: s.tradeVelocity },
      };
    },
  };
}
