/** The three wire forms producers write into the stream, decoded to one payload plus metadata. */
export type DecodedEntry =
  | { ok: true; form: "flat" | "envelope" | "data"; payload: Record<string, unknown>; meta: EntryMeta }
  | { ok: false; form: "flat" | "envelope" | "data"; reason: string };

export interface EntryMeta {
  trace_id?: string;
  correlation_id?: string;
  source?: string;
  event_type?: string;
  /** Set by `dlq replay`: the id the entry had when it was first stored, which it keeps being. */
  replayed_from?: string;
}

/** Stream fields as ioredis returns them: [k1, v1, k2, v2, ...]. */
export function fieldsToRecord(fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i] as string] = fields[i + 1] as string;
  return out;
}

function parseObject(
  text: string,
  field: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `${field}: not valid JSON (${(error as Error).message})` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return {
      ok: false,
      reason: `${field}: expected a JSON object, got ${JSON.stringify(value)?.slice(0, 60)}`,
    };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

const META_KEYS = ["trace_id", "correlation_id", "source", "event_type", "replayed_from"] as const;

function metaFrom(fields: Record<string, string>): EntryMeta {
  const meta: EntryMeta = {};
  for (const key of META_KEYS) if (fields[key]) meta[key] = fields[key];
  return meta;
}

/**
 * Decodes an entry: an event-bus envelope (`payload` = JSON string), a `{data: "<JSON>"}`
 * wrapper, or flat fields. A payload with no fields is invalid, never "all defaults" (F13).
 */
export function decodeEntry(fields: Record<string, string>): DecodedEntry {
  if (fields.payload !== undefined) {
    const parsed = parseObject(fields.payload, "payload");
    if (!parsed.ok) return { ok: false, form: "envelope", reason: parsed.reason };
    return nonEmpty("envelope", parsed.value, metaFrom(fields));
  }
  if (fields.data !== undefined) {
    const parsed = parseObject(fields.data, "data");
    if (!parsed.ok) return { ok: false, form: "data", reason: parsed.reason };
    return nonEmpty("data", parsed.value, metaFrom(fields));
  }
  // Flat fields go to the schema as they are (it ignores keys it does not know); only the
  // emptiness check has to look past the metadata keys. No copy on this hot path.
  const meta = metaFrom(fields);
  for (const key in fields) {
    if (!(META_KEYS as readonly string[]).includes(key))
      return { ok: true, form: "flat", payload: fields, meta };
  }
  return { ok: false, form: "flat", reason: "flat payload is empty" };
}

function nonEmpty(
  form: "flat" | "envelope" | "data",
  payload: Record<string, unknown>,
  meta: EntryMeta,
): DecodedEntry {
  if (Object.keys(payload).length === 0) return { ok: false, form, reason: `${form} payload is empty` };
  return { ok: true, form, payload, meta };
}
