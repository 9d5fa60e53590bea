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
