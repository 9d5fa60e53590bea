/** Typed views of the raw XREADGROUP / XAUTOCLAIM / XPENDING replies ioredis returns. */
export interface StreamEntry {
  id: string;
  /** null when the entry was deleted from the stream while pending. */
  fields: string[] | null;
}

function isArray(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  if (!isArray(value)) return false;
  for (const item of value) if (typeof item !== "string") return false;
  return true;
}

function toEntries(raw: unknown): StreamEntry[] {
  if (!isArray(raw)) return [];
  const entries: StreamEntry[] = [];
  for (const e of raw) {
    if (!isArray(e)) continue;
    // ioredis hands the fields over as strings: kept as they are, not copied (the hot path).
    const fields = isStringArray(e[1]) ? e[1] : isArray(e[1]) ? e[1].map(String) : null;
    entries.push({ id: String(e[0]), fields });
  }
  return entries;
}

/** XREADGROUP reply for one stream: `[[stream, [[id, [k, v, ...]], ...]]]` or null. */
export function readGroupEntries(reply: unknown): StreamEntry[] {
  if (!isArray(reply) || reply.length === 0) return [];
  const first = reply[0];
  return isArray(first) ? toEntries(first[1]) : [];
}

/** XAUTOCLAIM reply: `[nextCursor, entries, deletedIds]`. */
export function autoClaimReply(reply: unknown): {
  cursor: string;
  entries: StreamEntry[];
  deleted: string[];
} {
  if (!isArray(reply)) return { cursor: "0-0", entries: [], deleted: [] };
  return {
    cursor: String(reply[0]),
    entries: toEntries(reply[1]),
    deleted: isArray(reply[2]) ? reply[2].map(String) : [],
  };
}

/** XPENDING extended form: `[[id, consumer, idleMs, deliveries], ...]` → id → deliveries. */
export function pendingDeliveries(reply: unknown): Map<string, number> {
  const out = new Map<string, number>();
  if (!isArray(reply)) return out;
  for (const row of reply) if (isArray(row)) out.set(String(row[0]), Number(row[3]));
  return out;
}
