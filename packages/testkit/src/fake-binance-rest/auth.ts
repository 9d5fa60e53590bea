import { createHmac, timingSafeEqual } from "node:crypto";
import type { Reply } from "./trading.js";

export interface FakeCredentials {
  apiKey: string;
  apiSecret: string;
  /** The exchange's clock (epoch ms), set by the server: signed timestamps are checked against it. */
  serverTime?: () => number;
}

/**
 * Binance's check of a signed call: the API key header, the HMAC-SHA256 of the query, then the
 * timestamp: not more than 1 s ahead of the exchange's clock, nor older than recvWindow (-1021).
 */
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
  const now = creds.serverTime?.() ?? Date.now();
  const timestamp = Number(url.searchParams.get("timestamp"));
  const recvWindow = Number(url.searchParams.get("recvWindow") ?? 5_000);
  if (!(timestamp <= now + 1_000 && now - timestamp <= recvWindow))
    return {
      status: 400,
      body: { code: -1021, msg: "Timestamp for this request is outside of the recvWindow." },
    };
  return undefined;
}

/** Whether `signature` is the hex HMAC-SHA256 of `payload` under `secret` (compared in constant time). */
export function signedBy(secret: string, payload: string, signature: string): boolean {
  const expected = createHmac("sha256", secret).update(payload).digest("hex");
  return (
    signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
  );
}
