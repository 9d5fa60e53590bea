import { createHash } from "node:crypto";

const PREFIX = "tw-";

/** Deterministic client order id from the signal id: a retried submit is the same order (F31). */
export function clientOrderIdFor(signalId: string): string {
  return `${PREFIX}${createHash("sha256").update(signalId).digest("hex").slice(0, 28)}`;
}

/** True for an id the engine made (entries, closes and their protective legs). */
export function isOwnClientOrderId(clientOrderId: string): boolean {
  return clientOrderId.startsWith(PREFIX);
}
