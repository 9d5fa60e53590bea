import type { TimeInForce } from "@tradewire/binance";
import type { Quote } from "../decide.js";
import type { OtherFee, ProtectiveOrders, VenueOrder } from "./venue.js";

export interface NewOrder {
  symbol: string;
  side: "BUY" | "SELL";
  /** Already rounded to the exchange's step. */
  quantity: string;
  /** Derived from the signal id: a resubmit is recognised as the same order (F31). */
  clientOrderId: string;
  /** The quote the decision used; paper fills at it, an exchange ignores it. */
  quote: Quote;
  /**
   * A LIMIT: never filled worse than this price. Paper fills a marketable one at the quote; an
   * exchange gets a LIMIT order with its time in force (a GTC it does not fill at once rests there).
   */
  limitPrice?: string;
  timeInForce?: TimeInForce;
  /** A CLOSE: on futures it is sent reduce-only, so it can never open or flip a position. */
  reduceOnly: boolean;
  /** Requested leverage (futures sets it per symbol before an entry; spot ignores it). */
  leverage: number;
  /** The signal was claimed before (a crash mid-decision): the order may already exist. */
  resumed: boolean;
  /**
   * Epoch ms the signal goes stale: an order the exchange would take only after that (a 418 ban,
   * a long 429 pause) is not sent and comes back rejected, never sent late.
   */
  sendBy?: number;
  /**
   * A resumed order the exchange does not show is sent again only from this time (epoch ms): the
   * first attempt may still be settling there, and a lookup right after a lost answer can miss it.
   */
  resendAfterMs?: number;
}

export type ExecutionResult =
  | {
      kind: "filled";
      orderId: string;
      quantity: string;
      price: string;
      /** In the quote asset; see VenueOrder for `baseFee` and `otherFees`. */
      fee: string;
      feeAsset: string;
      baseFee: string;
      otherFees: OtherFee[];
      /** Why the fees could not be read: `fee` is 0 meanwhile (see VenueOrder). */
      feesUnread?: string;
      recovered: boolean;
    }
  | { kind: "rejected"; reason: string }
  /** A GTC LIMIT working on the exchange (NEW or partly filled): tracked until it ends. */
  | { kind: "resting"; orderId: string; recovered: boolean };

/** Orders working on an exchange, looked up and canceled by client order id. */
export interface ExchangeOrders {
  /** What is still working on one symbol, with how much of each executed so far (one request). */
  openOrders(symbol: string): Promise<{ clientOrderId: string; executedQty: string }[]>;
  /** The order as the exchange has it now, or undefined if the exchange never received it. */
  find(symbol: string, clientOrderId: string): Promise<VenueOrder | undefined>;
  /** Cancels it; the order as it ended, or undefined when there was nothing left to cancel. */
  cancelOrder(symbol: string, clientOrderId: string): Promise<VenueOrder | undefined>;
}

/**
 * Where orders go, chosen by TRADING_MODE. `submit` resolves with the outcome or throws on a
 * transient failure after which the order's fate is unknown; the caller retries with the same
 * client order id, and the adapter recognises the order if the first attempt did reach the exchange.
 */
export interface ExecutionAdapter {
  readonly mode: "paper" | "testnet" | "live";
  /** Exchange-side stop-loss / take-profit; absent in paper, where the engine watches the levels. */
  readonly protective?: ProtectiveOrders;
  /** Resting LIMIT orders on the exchange; absent in paper, whose own book rests them. */
  readonly resting?: ExchangeOrders;
  submit(order: NewOrder): Promise<ExecutionResult>;
  isReady(): boolean;
  /** The exchange's last price of a symbol (testnet/live): prices a commission the feed cannot. */
  lastPrice?(symbol: string): Promise<string | undefined>;
}
