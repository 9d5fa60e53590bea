/** Keys whose values are never logged, whatever their shape. */
const SECRET_KEY =
  /(api[-_]?key|secret|signature|password|passwd|token|authorization|private[-_]?key|credential)/i;
/** Values that look like Binance API keys or HMAC signatures (64 alphanumerics / hex). */
const SECRET_SHAPE = /^[A-Za-z0-9]{64}$/;
/** Secrets inside URLs or query strings. */
const SECRET_IN_TEXT = /\b(signature|api[-_]?key|apikey|secret|token|password)=([^&\s"']+)/gi;
const MAX_STRING = 2000;
const MAX_DEPTH = 6;
export const REDACTED = "[REDACTED]";

export function redactText(text: string): string {
  const scrubbed = text.replace(SECRET_IN_TEXT, (_m, key: string) => `${key}=${REDACTED}`);
  return scrubbed.length > MAX_STRING
    ? `${scrubbed.slice(0, MAX_STRING)}…(${scrubbed.length} chars)`
    : scrubbed;
}

/** Errors become plain objects that keep their stack, code and cause. */
function serializeError(error: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: redactText(error.message) };
  if (error.stack) out.stack = redactText(error.stack);
  const extra = error as Error & { code?: unknown; cause?: unknown };
  if (extra.code !== undefined) out.code = extra.code;
  if (extra.cause !== undefined) out.cause = redactValue(extra.cause, depth + 1);
  return out;
}

/** Returns a copy of `value` with secrets redacted by key and by shape, and long strings capped. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return SECRET_SHAPE.test(value) ? REDACTED : redactText(value);
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[depth limit]";
  if (value instanceof Error) return serializeError(value, depth);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redactValue(inner, depth + 1);
  }
  return out;
}
