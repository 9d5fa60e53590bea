// What the spot and USD-M fakes share about trading: their replies, Binance's checks of decimals
// and LIMIT terms, how they execute against the one price they know, and the price ticker.

/** An answer of the fake's trading endpoints: HTTP status and JSON body. */
export type Reply = { status: number; body: unknown };

/** Binance's error body. */
export const reject = (code: number, msg: string, status = 400): Reply => ({ status, body: { code, msg } });

/** A DECIMAL parameter as Binance accepts it. */
export const isDecimal = (v: string | null): v is string => v !== null && /^\d+(\.\d+)?$/.test(v);

/** How long a LIMIT works in the fakes: GTC rests until the price reaches it, IOC and FOK are final at once. */
export type FakeTimeInForce = "GTC" | "IOC" | "FOK";

/**
 * A LIMIT order's terms as the fakes simulate them: GTC, IOC or FOK against the one price they know.
 * GTX (post-only) and GTD are refused rather than pretended.
 */
export function limitTerms(q: URLSearchParams): { price: string; timeInForce: FakeTimeInForce } | Reply {
  const price = q.get("price");
  const timeInForce = q.get("timeInForce");
  if (!isDecimal(price))
    return reject(-1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed.");
  if (timeInForce === "GTX" || timeInForce === "GTD")
    return reject(-1116, `fake Binance: LIMIT ${timeInForce} is not simulated, only GTC, IOC and FOK`);
  if (timeInForce !== "GTC" && timeInForce !== "IOC" && timeInForce !== "FOK")
    return reject(-1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.");
  return { price, timeInForce };
}

/** A decimal count as the fakes print quantities: at most 8 decimals, no trailing zeros. */
export const qtyString = (n: number): string => String(Number(n.toFixed(8)));

/** The part of `quantity` a fake may execute of an order with `left` remaining, or why it may not. */
export function checkPartial(clientOrderId: string, quantity: string, left: number): number {
  const qty = Number(quantity);
  if (!isDecimal(quantity) || qty <= 0)
    throw new Error(
      `fake Binance: partialFill(${clientOrderId}): quantity ${quantity} is not a positive decimal`,
    );
  if (qty > left + 1e-12)
    throw new Error(
      `fake Binance: partialFill(${clientOrderId}): quantity ${quantity} exceeds the ${qtyString(left)} left`,
    );
  return Math.min(qty, left);
}

/**
 * Whether a LIMIT executes at once against `market`: a BUY at or above it, a SELL at or below.
 * The fakes have one price and unlimited depth, so it then fills in full at that price.
 */
export const limitReached = (side: "BUY" | "SELL", limit: string, market: string): boolean =>
  side === "BUY" ? Number(market) <= Number(limit) : Number(market) >= Number(limit);

/** `GET .../ticker/price?symbol=` as Binance answers it, from the price the fake quotes. */
export function tickerPrice(symbol: string | null, price: (symbol: string) => string | undefined): Reply {
  const last = symbol === null ? undefined : price(symbol);
  return last === undefined
    ? reject(-1121, "Invalid symbol.")
    : { status: 200, body: { symbol, price: last } };
}
