import { createHash } from "node:crypto";

/** Deterministic client order id from the signal id: a retried submit is the same order (F31). */
export function clientOrderIdFor(signalId: string): string {
  return `tw-${createHash("sha256").update(signalId).digest("hex").slice(0, 28)}`;
}
