import { BinanceError, describeBinanceCode, numberToDecimal, toDecimal } from "@tradewire/binance";
import type { Logger } from "@tradewire/logger";
import type { ExchangeOrders, ExecutionAdapter, ExecutionResult, NewOrder } from "./adapter.js";
import { type OrderVenue, type ProtectiveOrders, type VenueOrder, WORKING } from "./venue.js";

/** After a transient failure the adapter reports not ready until a success, or this long. */
const UNREADY_AFTER_FAILURE_MS = 60_000;

/**
 * Orders on Binance (testnet or live, spot or USD-M futures) through a venue. An order
 * whose response was lost (timeout, dropped connection, 5xx) or that the exchange calls a
 * duplicate is looked up by its client order id before anything else happens: never a second
 * order (F31).
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
      if (!(error instanceof BinanceError)) throw error;
      const duplicate = this.venue.isDuplicate(error);
      if (duplicate || error.retryable) {
        const found = await this.venue.find(o.symbol, o.clientOrderId).catch((lookup: unknown) => {
          throw new Error(`order ${o.clientOrderId} failed (${error.message}) and its lookup failed too`, {
            cause: lookup instanceof Error ? new AggregateError([error, lookup]) : error,
          });
        });
        if (found !== undefined) {
          this.log.warn("order found by client id after a failed submit; adopted, not resent", {
            clientOrderId: o.clientOrderId,
            orderId: found.orderId,
            cause: error.code,
          });
          return this.result(found, true);
        }
        // Unknown fate and not on the exchange: transient, the caller retries with the same id.
        if (error.retryable) this.lastFailureAt = Date.now();
        throw error;
      }
      const code = error.details.binanceCode;
      const meaning = code === undefined ? undefined : describeBinanceCode(code);
      return {
        kind: "rejected",
        reason: `exchange_rejected: ${code ?? error.details.status} ${meaning ?? error.message}`,
      };
    }
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
      recovered,
    };
  }
}
