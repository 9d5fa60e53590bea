import { createHmac, timingSafeEqual } from "node:crypto";

/** An answer of the fake's trading endpoints: HTTP status and JSON body. */
export type Reply = { status: number; body: unknown };

export interface FakeCredentials {
  apiKey: string;
  apiSecret: string;
}

/** Binance's check of a signed call: the API key header, then the HMAC-SHA256 of the query. */
export function authenticate(
  url: URL,
  apiKey: string | undefined,
  creds: FakeCredentials,
): Reply | undefined {
  if (apiKey !== creds.apiKey)
    return { status: 401, body: { code: -2015, msg: "Invalid API-key, IP, or permissions for action." } };
  const signature = url.searchParams.get("signature") ?? "";
  const unsigned = new URLSearchParams(url.searchParams);
  unsigned.delete("signature");
  const expected = createHmac("sha256", creds.apiSecret).update(unsigned.toString()).digest("hex");
  const ok =
    signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
  if (!ok) return { status: 400, body: { code: -1022, msg: "Signature for this request is not valid." } };
  return undefined;
}

/** Binance's error body. */
export const reject = (code: number, msg: string, status = 400): Reply => ({ status, body: { code, msg } });

/** A DECIMAL parameter as Binance accepts it. */
export const isDecimal = (v: string | null): v is string => v !== null && /^\d+(\.\d+)?$/.test(v);

/** A LIMIT order's terms as the fakes simulate them: IOC or FOK against the one price they know. */
export function limitTerms(q: URLSearchParams): { price: string; timeInForce: "IOC" | "FOK" } | Reply {
  const price = q.get("price");
  const timeInForce = q.get("timeInForce");
  if (!isDecimal(price))
    return reject(-1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed.");
  if (timeInForce === "GTC" || timeInForce === "GTX" || timeInForce === "GTD")
    // Binance would rest it; the fakes have no book, so they say so rather than pretend.
    return reject(-1116, `fake Binance: LIMIT ${timeInForce} is not simulated, only IOC and FOK`);
  if (timeInForce !== "IOC" && timeInForce !== "FOK")
    return reject(-1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.");
  return { price, timeInForce };
}

/**
 * Whether a LIMIT executes at once against `market`: a BUY at or above it, a SELL at or below.
 * The fakes have one price and unlimited depth, so it then fills in full at that price.
 */
export const limitReached = (side: "BUY" | "SELL", limit: string, market: string): boolean =>
  side === "BUY" ? Number(market) <= Number(limit) : Number(market) >= Number(limit);
