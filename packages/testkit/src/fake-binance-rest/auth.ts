import { createHmac, timingSafeEqual } from "node:crypto";
import type { Reply } from "./trading.js";

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
  const unsigned = new URLSearchParams(url.searchParams);
  unsigned.delete("signature");
  if (!signedBy(creds.apiSecret, unsigned.toString(), url.searchParams.get("signature") ?? ""))
    return { status: 400, body: { code: -1022, msg: "Signature for this request is not valid." } };
  return undefined;
}

/** Whether `signature` is the hex HMAC-SHA256 of `payload` under `secret` (compared in constant time). */
export function signedBy(secret: string, payload: string, signature: string): boolean {
  const expected = createHmac("sha256", secret).update(payload).digest("hex");
  return (
    signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
  );
}
