/** The fake's spot WebSocket API frames: requests, answers, and the signed subscription's checks. */
import { type FakeCredentials, signedBy } from "./auth.js";

export type WsApiId = string | number | null;

export interface WsApiRequest {
  id: WsApiId;
  method: string;
  params: Record<string, unknown>;
}

export type WsApiError = { status: number; error: { code: number; msg: string } };

/** An answer frame: `result` on success, `error` otherwise. */
export type WsApiResponse = { id: WsApiId } & ({ status: 200; result: unknown } | WsApiError);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export const wsApiError = (status: number, code: number, msg: string): WsApiError => ({
  status,
  error: { code, msg },
});

/** A text frame as a request, or the error Binance answers (with a null id) to a malformed one. */
export function parseRequest(text: string): WsApiRequest | WsApiError {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return wsApiError(400, -1100, "Illegal characters found in a parameter: the frame is not JSON.");
  }
  if (!isRecord(frame)) return wsApiError(400, -1100, "Illegal characters found in a parameter.");
  const { id, method, params } = frame;
  if (typeof id !== "string" && typeof id !== "number") {
    return wsApiError(400, -1102, "Mandatory parameter 'id' was not sent, was empty/null, or malformed.");
  }
  if (typeof method !== "string") {
    return wsApiError(400, -1102, "Mandatory parameter 'method' was not sent, was empty/null, or malformed.");
  }
  if (params !== undefined && !isRecord(params)) {
    return wsApiError(400, -1100, "Illegal characters found in parameter 'params'.");
  }
  return { id, method, params: params ?? {} };
}

/** The signed payload of WebSocket API params: all but `signature`, sorted by name, `name=value&...`. */
export function signaturePayload(params: Record<string, unknown>): string {
  return Object.keys(params)
    .filter((name) => name !== "signature")
    .sort()
    .map((name) => `${name}=${String(params[name])}`)
    .join("&");
}

const isInteger = (v: unknown) => (typeof v === "number" || typeof v === "string") && /^\d+$/.test(String(v));

/**
 * Binance's checks of `userDataStream.subscribe.signature`, in order: the API key, the HMAC-SHA256
 * signature, then the timestamp (not more than 1 s ahead of `now`, nor older than `recvWindow`,
 * default 5000 ms, at most 60000). Undefined when the request may subscribe.
 */
export function checkSignedSubscribe(
  params: Record<string, unknown>,
  creds: FakeCredentials | undefined,
  now: number,
): WsApiError | undefined {
  if (creds === undefined || params.apiKey !== creds.apiKey) {
    return wsApiError(401, -2015, "Invalid API-key, IP, or permissions for action.");
  }
  const signature = typeof params.signature === "string" ? params.signature : "";
  if (!signedBy(creds.apiSecret, signaturePayload(params), signature))
    return wsApiError(400, -1022, "Signature for this request is not valid.");
  if (!isInteger(params.timestamp)) {
    return wsApiError(
      400,
      -1102,
      "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
    );
  }
  const recvWindow = params.recvWindow === undefined ? 5000 : Number(params.recvWindow);
  if (!(recvWindow > 0 && recvWindow <= 60_000)) {
    return wsApiError(400, -1131, "recvWindow must be less than 60000");
  }
  const timestamp = Number(params.timestamp);
  if (timestamp > now + 1000 || now - timestamp > recvWindow) {
    return wsApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.");
  }
  return undefined;
}
