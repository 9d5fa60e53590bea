import { parseWith, type TradeIntent, TradeIntent as TradeIntentSchema } from "@tradewire/schemas";
import { decodeEntry } from "./decode.js";

/** How far ahead of its entry id an intent's timestamp may be before it is said (clocks drift). */
export const CLOCK_AHEAD_SAID_MS = 1_000;

export type Outcome =
  | { kind: "forward"; intent: TradeIntent; ageMs: number; aheadMs: number }
  | {
      kind: "stale";
      intent: TradeIntent;
      ageMs: number;
      timeSource: "timestamp" | "entry_id";
      aheadMs: number;
    }
  | { kind: "invalid"; reason: string };

const ENTRY_ID = /^\d+-\d+$/;

/** Milliseconds since the epoch encoded in a stream entry id (`<ms>-<seq>`). */
export function entryIdMs(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}

/**
 * Decides what happens to one stream entry. Age comes from the intent's own timestamp, else from
 * the entry id; an unparseable timestamp is invalid, never "now" (F14). A timestamp later than the
 * entry id (Redis's clock when it stored the entry) cannot be when the intent was written: its
 * producer's clock is ahead, or it wrote a naive local time read as UTC. It is taken as the entry
 * id, by `aheadMs`, so an intent that waited in Redis is not forwarded as fresh, nor with a future
 * time that would beat the engine's own age check.
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
  // The schema's output is a fresh object: fill it in place (payload fields win over metadata).
  const intent: TradeIntent = parsed.value;
  const { trace_id, correlation_id, source } = decoded.meta;
  if (intent.trace_id === undefined && trace_id !== undefined) intent.trace_id = trace_id;
  if (intent.correlation_id === undefined && correlation_id !== undefined)
    intent.correlation_id = correlation_id;
  if (intent.source === undefined && source !== undefined) intent.source = source;
  // A replayed entry is the intent first stored under `replayed_from`: its id (dedup downstream,
  // so a replay done twice executes once) and its age (one dead-lettered hours ago is stale).
  const first = decoded.meta.replayed_from;
  if (first !== undefined && !ENTRY_ID.test(first))
    return {
      kind: "invalid",
      reason: `replayed_from: expected a stream entry id, got ${JSON.stringify(first)}`,
    };
  const firstId = first ?? id;
  intent.intent_id = `${stream}:${firstId}`;
  const storedAt = entryIdMs(firstId);
  const aheadMs = Math.max(0, (intent.timestamp ?? storedAt) - storedAt);
  const timeSource = intent.timestamp === undefined || aheadMs > 0 ? "entry_id" : "timestamp";
  // Forwarded with the time it was written: downstream ages it from there, not from when it arrives.
  intent.timestamp = Math.min(intent.timestamp ?? storedAt, storedAt);
  const ageMs = nowMs - intent.timestamp;
  if (ageMs > maxAgeMs) return { kind: "stale", intent, ageMs, timeSource, aheadMs };
  return { kind: "forward", intent, ageMs, aheadMs };
}
