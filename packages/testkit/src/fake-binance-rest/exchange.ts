import { createHmac, timingSafeEqual } from "node:crypto";

export interface FakeExchangeOptions {
  apiKey: string;
  apiSecret: string;
  /** Price a MARKET order fills at, per symbol; a function so a test can move the market. */
  price: (symbol: string) => string | undefined;
  /** Taker fee rate charged in the quote asset (default 0.001). */
  feeRate?: number;
}

export interface FakeOrder {
  symbol: string;
  orderId: number;
  clientOrderId: string;
  price: string;
  origQty: string;
  executedQty: string;
  cummulativeQuoteQty: string;
  status: "NEW" | "FILLED" | "CANCELED";
  type: "MARKET" | "LIMIT";
  side: "BUY" | "SELL";
  time: number;
  fills?: { price: string; qty: string; commission: string; commissionAsset: string }[];
}

export interface FakeExchange {
  /** Every order the fake accepted, in order. */
  orders: FakeOrder[];
  /** Free balance per asset. */
  balances: Map<string, number>;
  /** Adds an order as if placed outside this process (reconciliation tests). */
  addOpenOrder(o: {
    symbol: string;
    clientOrderId: string;
    side: "BUY" | "SELL";
    quantity: string;
    price: string;
  }): void;
}

type Reply = { status: number; body: unknown };

const quoteOf = (symbol: string) => (symbol.endsWith("USDT") ? "USDT" : symbol.slice(-3));
const baseOf = (symbol: string) => symbol.slice(0, symbol.length - quoteOf(symbol).length);
const fmt = (n: number) => n.toFixed(8);

/** The signed trading endpoints of the fake: order, order lookup, open orders, account. */
export function createFakeExchange(opts: FakeExchangeOptions) {
  const orders: FakeOrder[] = [];
  const balances = new Map<string, number>();
  let nextId = 1000;
  const adjust = (asset: string, delta: number) => balances.set(asset, (balances.get(asset) ?? 0) + delta);

  const state: FakeExchange = {
    orders,
    balances,
    addOpenOrder(o) {
      orders.push({
        symbol: o.symbol,
        orderId: nextId++,
        clientOrderId: o.clientOrderId,
        price: o.price,
        origQty: o.quantity,
        executedQty: "0",
        cummulativeQuoteQty: "0",
        status: "NEW",
        type: "LIMIT",
        side: o.side,
        time: Date.now(),
      });
    },
  };

  function authenticate(url: URL, apiKey: string | undefined): Reply | undefined {
    if (apiKey !== opts.apiKey)
      return { status: 401, body: { code: -2015, msg: "Invalid API-key, IP, or permissions for action." } };
    const signature = url.searchParams.get("signature") ?? "";
    const unsigned = new URLSearchParams(url.searchParams);
    unsigned.delete("signature");
    const expected = createHmac("sha256", opts.apiSecret).update(unsigned.toString()).digest("hex");
    const ok =
      signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
    if (!ok) return { status: 400, body: { code: -1022, msg: "Signature for this request is not valid." } };
    return undefined;
  }

  function newOrder(q: URLSearchParams): Reply {
    const symbol = q.get("symbol") ?? "";
    const side = q.get("side");
    const quantity = q.get("quantity") ?? "";
    const clientOrderId = q.get("newClientOrderId") ?? `fake-${nextId}`;
    if (q.get("type") !== "MARKET" || (side !== "BUY" && side !== "SELL")) {
      return { status: 400, body: { code: -1116, msg: "Invalid orderType." } };
    }
    if (!/^\d+(\.\d+)?$/.test(quantity))
      return { status: 400, body: { code: -1100, msg: "Illegal characters found in parameter 'quantity'." } };
    if (orders.some((o) => o.clientOrderId === clientOrderId)) {
      return { status: 400, body: { code: -2010, msg: "Duplicate order sent." } };
    }
    const price = opts.price(symbol);
    if (price === undefined) return { status: 400, body: { code: -1121, msg: "Invalid symbol." } };
    const qty = Number(quantity);
    const quote = qty * Number(price);
    const fee = quote * (opts.feeRate ?? 0.001);
    adjust(baseOf(symbol), side === "BUY" ? qty : -qty);
    adjust(quoteOf(symbol), (side === "BUY" ? -quote : quote) - fee);
    const order: FakeOrder = {
      symbol,
      orderId: nextId++,
      clientOrderId,
      price: "0.00000000",
      origQty: quantity,
      executedQty: quantity,
      cummulativeQuoteQty: fmt(quote),
      status: "FILLED",
      type: "MARKET",
      side,
      time: Date.now(),
      fills: [{ price, qty: quantity, commission: fmt(fee), commissionAsset: quoteOf(symbol) }],
    };
    orders.push(order);
    return { status: 200, body: order };
  }

  /** Answers a trading request, or undefined when the path is not a trading endpoint. */
  function handle(method: string, url: URL, apiKey: string | undefined): Reply | undefined {
    const key = `${method} ${url.pathname}`;
    if (
      !["POST /api/v3/order", "GET /api/v3/order", "GET /api/v3/openOrders", "GET /api/v3/account"].includes(
        key,
      )
    ) {
      return undefined;
    }
    const denied = authenticate(url, apiKey);
    if (denied) return denied;
    const q = url.searchParams;
    switch (key) {
      case "POST /api/v3/order":
        return newOrder(q);
      case "GET /api/v3/order": {
        const found = orders.find(
          (o) => o.symbol === q.get("symbol") && o.clientOrderId === q.get("origClientOrderId"),
        );
        return found
          ? { status: 200, body: found }
          : { status: 400, body: { code: -2013, msg: "Order does not exist." } };
      }
      case "GET /api/v3/openOrders": {
        const symbol = q.get("symbol");
        return {
          status: 200,
          body: orders.filter((o) => o.status === "NEW" && (symbol === null || o.symbol === symbol)),
        };
      }
      default:
        return {
          status: 200,
          body: {
            balances: [...balances].map(([asset, free]) => ({
              asset,
              free: fmt(free),
              locked: "0.00000000",
            })),
          },
        };
    }
  }

  return { state, handle };
}
