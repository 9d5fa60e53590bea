import {
  BinanceError,
  describeBinanceCode,
  numberToDecimal,
  RequestNotSent,
  toDecimal,
} from "@tradewire/binance";
import type { Logger } from "@tradewire/logger";
import type { ExchangeOrders, ExecutionAdapter, ExecutionResult, NewOrder } from "./adapter.js";
import {
  OrderTakenUnread,
  type OrderVenue,
  type ProtectiveOrders,
  type VenueOrder,
  WORKING,
} from "./venue.js";

/** After a transient failure the adapter reports not ready until a success, or this long. */
const UNREADY_AFTER_FAILURE_MS = 60_000;

/**
 * Orders on Binance (testnet or live, spot or USD-M futures) through a venue. An order
 * whose response was lost (timeout, dropped connection, 5xx) or that the exchange calls a
 * duplicate is looked up by its client order id before anything else happens: never a second
 * order (F31). Nor is an order the exchange answered but that could not be read (its answer, its
 * fees) ever taken as refused: it is looked up the same way.
 */
export class BinanceAdapter implements ExecutionAdapter {
  private lastFailureAt = 0;
  private lastSuccessAt = 0;

  constructor(
    readonly mode: "testnet" | "live",
    private readonly venue: OrderVenue,
    private readonly log: Logger,
    readonly protective?: ProtectiveOrders,
  ) {}

  get resting(): ExchangeOrders {
    return this.venue;
  }

  lastPrice(symbol: string): Promise<string | undefined> {
    return this.venue.lastPrice(symbol);
  }

  /** Not ready only while the latest submit failed transiently, recently, and nothing succeeded since. */
  isReady(now = Date.now()): boolean {
    return this.lastFailureAt <= this.lastSuccessAt || now - this.lastFailureAt > UNREADY_AFTER_FAILURE_MS;
  }

  async submit(o: NewOrder): Promise<ExecutionResult> {
    if (o.resumed) {
      const existing = await this.venue.find(o.symbol, o.clientOrderId);
      if (existing !== undefined) return this.result(existing, true);
      // Spot refuses a reused client id only while the first order is open: a filled MARKET
      // order missed by an early lookup would be sent twice. Not sent again until it has settled.
      if (o.resendAfterMs !== undefined && Date.now() < o.resendAfterMs)
        throw new Error(
          `order ${o.clientOrderId} is not on the exchange yet; its first attempt may still be settling, so it is looked up again before it is sent again`,
        );
    }
    try {
      const placed = await this.venue.submit(o);
      this.lastSuccessAt = Date.now();
      return this.result(placed, false);
    } catch (error) {
      // Answered by the exchange, so maybe taken: whatever failed after the POST is no refusal.
      if (error instanceof OrderTakenUnread) return this.lookUp(o, error, error.causeCode, true);
      if (error instanceof RequestNotSent) return this.notSent(o, error);
      if (!(error instanceof BinanceError)) throw error;
      if (this.venue.isDuplicate(error) || error.retryable)
        return this.lookUp(o, error, error.code, error.retryable);
      const code = error.details.binanceCode;
      const meaning = code === undefined ? undefined : describeBinanceCode(code);
      return {
        kind: "rejected",
        reason: `exchange_rejected: ${code ?? error.details.status} ${meaning ?? error.message}`,
      };
    }
  }

  /** Held back by the exchange past the signal's age limit: refused here, never sent late. */
  private notSent(o: NewOrder, error: RequestNotSent): ExecutionResult {
    const until = error.until === undefined ? undefined : new Date(error.until).toISOString();
    const sendBy = new Date(error.sendBy).toISOString();
    const reason = `rate_limited: not sent, ${error.why}${until === undefined ? "" : ` until ${until}`}, past the signal's age limit (${sendBy})`;
    this.log.warn("order not sent: the exchange pauses requests past the signal's age limit", {
      clientOrderId: o.clientOrderId,
      symbol: o.symbol,
      side: o.side,
      why: error.why,
      ...(until === undefined ? {} : { until }),
      sendBy,
    });
    return { kind: "rejected", reason };
  }

  /**
   * An order whose fate the failed submit leaves unknown, looked up by its client id: adopted when
   * the exchange has it; otherwise the failure is thrown and the caller retries with the same id
   * (looked up first again). `transient` marks the adapter not ready meanwhile.
   */
  private async lookUp(
    o: NewOrder,
    error: Error,
    cause: string,
    transient: boolean,
  ): Promise<ExecutionResult> {
    const found = await this.venue.find(o.symbol, o.clientOrderId).catch((lookup: unknown) => {
      throw new Error(`order ${o.clientOrderId} failed (${error.message}) and its lookup failed too`, {
        cause: lookup instanceof Error ? new AggregateError([error, lookup]) : error,
      });
    });
    if (found !== undefined) {
      this.log.warn("order found by client id after a failed submit; adopted, not resent", {
        clientOrderId: o.clientOrderId,
        orderId: found.orderId,
        cause,
        ...(error instanceof OrderTakenUnread ? { unread: error.unread } : {}),
      });
      return this.result(found, true);
    }
    // Unknown fate and not on the exchange: transient, the caller retries with the same id.
    if (transient) this.lastFailureAt = Date.now();
    throw error;
  }

  private result(order: VenueOrder, recovered: boolean): ExecutionResult {
    // Still working (a GTC): what executes of it, now or later, is recorded by the book tracking it.
    if (WORKING.has(order.status)) return { kind: "resting", orderId: order.orderId, recovered };
    if (!(Number(order.executedQty) > 0)) {
      return {
        kind: "rejected",
        reason: `exchange_${order.status.toLowerCase()}: nothing executed (order ${order.orderId})`,
      };
    }
    return {
      kind: "filled",
      orderId: order.orderId,
      quantity: order.executedQty,
      price: numberToDecimal(order.avgPrice),
      fee: numberToDecimal(order.fee),
      feeAsset: order.feeAsset,
      baseFee: toDecimal(order.baseFee),
      otherFees: order.otherFees,
      ...(order.feesUnread === undefined ? {} : { feesUnread: order.feesUnread }),
      recovered,
    };
  }
}
