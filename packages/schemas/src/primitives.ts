import { z } from "zod";

/** Wire schema version; bumped on any breaking change to a message below. */
export const SCHEMA_VERSION = "1.0";

const NUMERIC_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

/** A finite number, also accepted as a numeric string (Redis fields and many producers send strings). */
export const Numeric = z.union([z.number(), z.string()]).transform((value, ctx) => {
  // One transform instead of regex + transform + pipe: this runs for every numeric field of every intent.
  const n = typeof value === "number" ? value : NUMERIC_TEXT.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) {
    ctx.addIssue({
      code: "custom",
      message: typeof value === "number" ? "expected a finite number" : "expected a number",
    });
    return z.NEVER;
  }
  return n;
});

/** A decimal kept as a string so no precision is lost on the wire ("0.00100000"). */
export const DecimalString = z.string().regex(DECIMAL_TEXT, 'expected a decimal string such as "123.45"');

/** An exchange symbol such as BTCUSDT; accepted in any case, stored upper case. */
export const SymbolName = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .pipe(z.string().regex(/^[A-Z0-9]{2,30}$/, "expected a symbol such as BTCUSDT"));

/** Kline interval names as Binance spells them. */
export const KLINE_INTERVALS = [
  "1s",
  "1m",
  "3m",
  "5m",
  "15m",
  "30m",
  "1h",
  "2h",
  "4h",
  "6h",
  "8h",
  "12h",
  "1d",
  "3d",
  "1w",
  "1M",
] as const;
export const KlineInterval = z.enum(KLINE_INTERVALS);
export type KlineInterval = z.infer<typeof KlineInterval>;

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const FIXED_INTERVAL_MS: Record<Exclude<KlineInterval, "1M">, number> = {
  "1s": SECOND_MS,
  "1m": MINUTE_MS,
  "3m": 3 * MINUTE_MS,
  "5m": 5 * MINUTE_MS,
  "15m": 15 * MINUTE_MS,
  "30m": 30 * MINUTE_MS,
  "1h": HOUR_MS,
  "2h": 2 * HOUR_MS,
  "4h": 4 * HOUR_MS,
  "6h": 6 * HOUR_MS,
  "8h": 8 * HOUR_MS,
  "12h": 12 * HOUR_MS,
  "1d": DAY_MS,
  "3d": 3 * DAY_MS,
  "1w": 7 * DAY_MS,
};

/** Length of a fixed-size kline interval in ms; undefined for `1M` (calendar months). */
export function fixedIntervalMs(interval: KlineInterval): number | undefined {
  return interval === "1M" ? undefined : FIXED_INTERVAL_MS[interval];
}

/** Epoch values below this are seconds, above are milliseconds (1e11 s is the year 5138). */
const SECONDS_CUTOFF = 1e11;
const ZONE_SUFFIX = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Parses ISO-8601 (with or without zone; no zone means UTC) or epoch seconds/milliseconds
 * (number or numeric string) into epoch milliseconds. Returns undefined when it cannot:
 * a timestamp never silently becomes "now".
 */
export function parseTimestampMs(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? epochToMs(value) : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (NUMERIC_TEXT.test(text)) return parseTimestampMs(Number(text));
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const iso = text.includes("T") || text.includes(" ") ? text.replace(" ", "T") : `${text}T00:00:00`;
  const zoned = ZONE_SUFFIX.test(iso) ? iso : `${iso}Z`;
  // Date.parse only understands milliseconds; trim microseconds such as .062679.
  const ms = Date.parse(zoned.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isFinite(ms) ? ms : undefined;
}

function epochToMs(n: number): number {
  return n < SECONDS_CUTOFF ? Math.round(n * 1000) : Math.round(n);
}

/** A timestamp in any accepted form, normalized to epoch milliseconds. */
export const TimestampMs = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = parseTimestampMs(value);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: "expected an ISO-8601 time or epoch seconds/milliseconds" });
    return z.NEVER;
  }
  return ms;
});

/** A string enum matched case-insensitively and normalized to the listed spelling. */
export function caseInsensitiveEnum<const T extends readonly [string, ...string[]]>(values: T) {
  const byLower = new Map(values.map((v) => [v.toLowerCase(), v] as const));
  return z.string().transform((value, ctx) => {
    const found = byLower.get(value.trim().toLowerCase());
    if (found === undefined) {
      ctx.addIssue({ code: "custom", message: `expected one of ${values.join("|")}` });
      return z.NEVER;
    }
    return found as T[number];
  });
}
