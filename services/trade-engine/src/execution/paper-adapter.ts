import { paperMarketFill } from "../paper.js";
import { marketable } from "../resting.js";
import type { ExecutionAdapter, ExecutionResult, NewOrder } from "./adapter.js";

/** Fills at the live quote with slippage and fee: a simulated exchange (F26: never a made-up price). */
export class PaperAdapter implements ExecutionAdapter {
  readonly mode = "paper" as const;

  constructor(private readonly opts: { slippageBps: number; feeRate: number }) {}

  async submit(o: NewOrder): Promise<ExecutionResult> {
    // What an exchange does with an IOC or FOK its limit does not reach: it expires, nothing executed.
    if (o.limitPrice !== undefined && !marketable(o.side, Number(o.limitPrice), o.quote))
      return {
        kind: "rejected",
        reason: `exchange_expired: LIMIT ${o.timeInForce} ${o.side} @ ${o.limitPrice} not reached (bid ${o.quote.bid}, ask ${o.quote.ask}); nothing executed`,
      };
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
      baseFee: "0",
      otherFees: [],
      recovered: false,
    };
  }

  isReady(): boolean {
    return true;
  }
}
