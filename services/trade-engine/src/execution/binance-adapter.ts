import { BinanceError, describeBinanceCode, type SpotOrder, type SpotOrders } from "@tradewire/binance";
import type { Logger } from "@tradewire/logger";
import type { ExecutionAdapter, ExecutionResult, MarketOrder } from "./adapter.js";

const DUPLICATE_ORDER = -2010;
/** After a transient failure the adapter reports not ready until a success, or this long. */
const UNREADY_AFTER_FAILURE_MS = 60_000;

/**
 * Spot market orders on Binance (testnet or live) through the signed REST client. An order whose
 * response was lost (timeout, dropped connection, 5xx) or that the exchange calls a duplicate is
 * looked up by its client order id before anything else happens: never a second order (F31).
 */
export class BinanceAdapter implements ExecutionAdapter {
  private lastFailureAt = 0;
  private lastSuccessAt = 0;

  constructor(
    readonly mode: "testnet" | "live",
    private readonly orders: SpotOrders,
    private readonly log: Logger,
  ) {}

  /** Not ready only while the latest submit failed transiently, recently, and nothing succeeded since. */
  isReady(now = Date.now()): boolean {
    return this.lastFailureAt <= this.lastSuccessAt || now - this.lastFailureAt > UNREADY_AFTER_FAILURE_MS;
  }

  async submitMarket(o: MarketOrder): Promise<ExecutionResult> {
    if (o.resumed) {
      const existing = await this.orders.findByClientId(o.symbol, o.clientOrderId);
      if (existing !== undefined) return this.result(existing, true);
    }
    try {
      const placed = await this.orders.newMarketOrder(o);
      this.lastSuccessAt = Date.now();
      return this.result(placed, false);
    } catch (error) {
      if (!(error instanceof BinanceError)) throw error;
      const duplicate = error.details.binanceCode === DUPLICATE_ORDER && /duplicate/i.test(error.message);
      if (duplicate || error.retryable) {
        const found = await this.orders.findByClientId(o.symbol, o.clientOrderId).catch((lookup: unknown) => {
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

  private result(order: SpotOrder, recovered: boolean): ExecutionResult {
    const executed = Number(order.executedQty);
    if (!(executed > 0)) {
      return {
        kind: "rejected",
        reason: `exchange_${order.status.toLowerCase()}: nothing executed (order ${order.orderId})`,
      };
    }
    const quoteAsset = order.fills?.[0]?.commissionAsset ?? "USDT";
    const fee = (order.fills ?? []).reduce((sum, f) => sum + Number(f.commission), 0);
    return {
      kind: "filled",
      orderId: order.orderId,
      quantity: order.executedQty,
      // Average fill price from the quote spent: exact enough for PnL, the fills keep the detail.
      price: String(Number(order.cummulativeQuoteQty) / executed),
      fee: String(fee),
      feeAsset: quoteAsset,
      recovered,
    };
  }
}
