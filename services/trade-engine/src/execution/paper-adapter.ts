import { paperMarketFill } from "../paper.js";
import type { ExecutionAdapter, ExecutionResult, MarketOrder } from "./adapter.js";

/** Fills at the live quote with slippage and fee: a simulated exchange (F26: never a made-up price). */
export class PaperAdapter implements ExecutionAdapter {
  readonly mode = "paper" as const;

  constructor(private readonly opts: { slippageBps: number; feeRate: number }) {}

  async submitMarket(o: MarketOrder): Promise<ExecutionResult> {
    const fill = paperMarketFill(
      o.side,
      o.quantity,
      o.quote,
      this.opts.slippageBps,
      this.opts.feeRate,
      o.limitPrice === undefined ? undefined : Number(o.limitPrice),
    );
    return {
      kind: "filled",
      orderId: `paper-${o.clientOrderId.slice(3)}`,
      quantity: o.quantity,
      price: fill.price,
      fee: fill.fee,
      feeAsset: "USDT",
      recovered: false,
    };
  }

  isReady(): boolean {
    return true;
  }
}
