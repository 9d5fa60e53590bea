import { parseWith, type TradeIntent, TradeIntent as TradeIntentSchema } from "@tradewire/schemas";
import { decodeEntry } from "./decode.js";

export type Outcome =
  | { kind: "forward"; intent: TradeIntent; ageMs: number }
  | { kind: "stale"; intent: TradeIntent; ageMs: number; timeSource: "timestamp" | "entry_id" }
  | { kind: "invalid"; reason: string };

/** Milliseconds since the epoch encoded in a stream entry id (`<ms>-<seq>`). */
export function entryIdMs(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}

/**
 * Decides what happens to one stream entry. Age comes from the intent's own timestamp, else from
 * the entry id; an unparseable timestamp is invalid, never "now" (F14).
 */
export function classifyEntry(
  stream: string,
  id: string,
  fields: Record<string, string>,
  nowMs: number,
  maxAgeMs: number,
): Outcome {
  const decoded = decodeEntry(fields);
  if (!decoded.ok) return { kind: "invalid", reason: decoded.reason };
  const parsed = parseWith(TradeIntentSchema, "TradeIntent", decoded.payload);
  if (!parsed.ok) return { kind: "invalid", reason: parsed.error.message };
  const intent: TradeIntent = {
    ...decoded.meta,
    ...parsed.value,
    intent_id: `${stream}:${id}`,
  };
  delete (intent as { event_type?: string }).event_type;
  const timeSource = parsed.value.timestamp === undefined ? "entry_id" : "timestamp";
  const ageMs = nowMs - (parsed.value.timestamp ?? entryIdMs(id));
  if (ageMs > maxAgeMs) return { kind: "stale", intent, ageMs, timeSource };
  return { kind: "forward", intent, ageMs };
}
