import { z } from "zod";
import { BinanceError } from "./errors.js";
import type { BinanceRest } from "./rest.js";

const Id = z.union([z.number(), z.string()]).transform(String);
const Fill = z.object({
  price: z.string(),
  qty: z.string(),
  commission: z.string(),
  commissionAsset: z.string(),
});

/** An order as `/api/v3/order` returns it (FULL response on submit, the order on query). */
export const SpotOrder = z.object({
  symbol: z.string(),
  orderId: Id,
  clientOrderId: z.string(),
  price: z.string(),
  origQty: z.string(),
  executedQty: z.string(),
  cummulativeQuoteQty: z.string(),
  status: z.string(),
  type: z.string(),
  side: z.enum(["BUY", "SELL"]),
  fills: z.array(Fill).optional(),
});
export type SpotOrder = z.output<typeof SpotOrder>;

const Account = z.object({
  balances: z.array(z.object({ asset: z.string(), free: z.string(), locked: z.string() })),
});
export type SpotBalance = z.output<typeof Account>["balances"][number];

const ORDER_DOES_NOT_EXIST = -2013;

function parse<S extends z.ZodType>(schema: S, path: string, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const detail = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  throw new BinanceError("INVALID_RESPONSE", `${path}: unexpected response: ${detail}`, false, { path });
}

/** Spot order endpoints Tradewire needs (signed): market orders, order lookup, open orders, balances. */
export class SpotOrders {
  constructor(private readonly rest: BinanceRest) {}

  /** MARKET order with a caller-chosen client order id, FULL response (fills with fees). */
  async newMarketOrder(o: {
    symbol: string;
    side: "BUY" | "SELL";
    quantity: string;
    clientOrderId: string;
  }): Promise<SpotOrder> {
    const body = await this.rest.signed<unknown>("POST", "/api/v3/order", {
      symbol: o.symbol,
      side: o.side,
      type: "MARKET",
      quantity: o.quantity,
      newClientOrderId: o.clientOrderId,
      newOrderRespType: "FULL",
    });
    return parse(SpotOrder, "POST /api/v3/order", body);
  }

  /** The order with this client id, or undefined if the exchange never received it (-2013). */
  async findByClientId(symbol: string, clientOrderId: string): Promise<SpotOrder | undefined> {
    try {
      const body = await this.rest.signed<unknown>("GET", "/api/v3/order", {
        symbol,
        origClientOrderId: clientOrderId,
      });
      return parse(SpotOrder, "GET /api/v3/order", body);
    } catch (error) {
      if (error instanceof BinanceError && error.details.binanceCode === ORDER_DOES_NOT_EXIST)
        return undefined;
      throw error;
    }
  }

  async openOrders(symbol?: string): Promise<SpotOrder[]> {
    const body = await this.rest.signed<unknown>("GET", "/api/v3/openOrders", symbol ? { symbol } : {});
    return parse(z.array(SpotOrder), "GET /api/v3/openOrders", body);
  }

  async balances(): Promise<SpotBalance[]> {
    const body = await this.rest.signed<unknown>("GET", "/api/v3/account", { omitZeroBalances: "true" });
    return parse(Account, "GET /api/v3/account", body).balances;
  }
}
