import { z } from "zod";

/** Wire schema version; bumped on any breaking change to a message below. */
export const SCHEMA_VERSION = "1.0";

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;
/** Lower-cased second characters of the non-decimal literals Number() reads: 0x1f, 0o17, 0b11. */
const RADIX_MARKS = new Set(["x", "o", "b"].map((c) => c.charCodeAt(0)));
const LOWER_CASE_BIT = 0x20;

/**
 * Decimal text (sign, digits, point, exponent; surrounding blanks allowed) as a number, else NaN.
 * Number() reads the same grammar plus three things that are not decimals: blank text (as 0),
 * radix literals such as "0x1f", and "Infinity" (left to the callers' finiteness check). No regex:
 * this runs for every numeric field of every intent and signal.
 */
export function decimalToNumber(value: number | string): number {
  if (typeof value === "number") return value;
  const text = value.trim();
  if (text === "" || RADIX_MARKS.has(text.charCodeAt(1) | LOWER_CASE_BIT)) return Number.NaN;
  return Number(text);
}

/**
 * A field schema of ONE zod node: the type check, the conversion and the range in one transform.
 * The idiomatic `z.union([z.number(), z.string()]).transform(...)` is four nodes, each with its
 * payload, and every numeric string first fails the number branch with an issue of its own; these
 * run for every field of every intent and signal. `read` returns the value, or undefined when
 * `value` is not acceptable, and `expected` says what was (an absent value is "required").
 */
function leaf<In, Out>(read: (value: unknown) => Out | undefined, expected: (value: unknown) => string) {
  return z.transform((value: In, ctx) => {
    const out = read(value);
    if (out !== undefined) return out;
    ctx.issues.push({
      code: "custom",
      message: value === undefined ? "required" : expected(value),
      input: value,
    });
    return z.NEVER;
  });
}

/** A finite number from a number or numeric text; undefined otherwise. */
function finiteNumber(value: unknown): number | undefined {
  const n =
    typeof value === "number" ? value : typeof value === "string" ? decimalToNumber(value) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** A finite number, also accepted as a numeric string (Redis fields and many producers send strings). */
export const Numeric = leaf<number | string, number>(finiteNumber, (value) =>
  typeof value === "number" ? "expected a finite number" : "expected a number",
);

export interface NumericBounds {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound (`positive` is `{ above: 0 }`). */
  above?: number;
  /** Inclusive upper bound. */
  max?: number;
  integer?: boolean;
}

function describeBounds(b: NumericBounds): string {
  const parts = [b.integer ? "an integer" : "a number"];
  if (b.above !== undefined) parts.push(`greater than ${b.above}`);
  if (b.min !== undefined && b.max !== undefined) parts.push(`from ${b.min} to ${b.max}`);
  else if (b.min !== undefined) parts.push(`of at least ${b.min}`);
  else if (b.max !== undefined) parts.push(`of at most ${b.max}`);
  return `expected ${parts.join(" ")}`;
}

/** `Numeric` with its range checked in the same step. */
export function numericIn(bounds: NumericBounds) {
  const expected = describeBounds(bounds);
  const { min = -Infinity, above = -Infinity, max = Infinity, integer = false } = bounds;
  return leaf<number | string, number>(
    (value) => {
      const n = finiteNumber(value);
      return n === undefined || n < min || n <= above || n > max || (integer && !Number.isInteger(n))
        ? undefined
        : n;
    },
    (value) => `${expected}, got ${JSON.stringify(value)}`,
  );
}

export const Positive = numericIn({ above: 0 });
export const Fraction = numericIn({ min: 0, max: 1 });
export const Leverage = numericIn({ integer: true, min: 1, max: 125 });

/** A decimal kept as a string so no precision is lost on the wire ("0.00100000"). */
export const DecimalString = z.string().regex(DECIMAL_TEXT, 'expected a decimal string such as "123.45"');

const SYMBOL_TEXT = /^[A-Z0-9]{2,30}$/;

/** An exchange symbol such as BTCUSDT; accepted in any case, stored upper case. */
export const SymbolName = leaf<string, string>(
  (value) => {
    const symbol = typeof value === "string" ? value.trim().toUpperCase() : "";
    return SYMBOL_TEXT.test(symbol) ? symbol : undefined;
  },
  (value) => `expected a symbol such as BTCUSDT, got ${JSON.stringify(value)}`,
);

/** Text of `min` to `max` characters, as it came. */
export function boundedText({ min = 0, max }: { min?: number; max: number }) {
  const expected =
    min > 0 ? `expected text of ${min} to ${max} characters` : `expected text of at most ${max} characters`;
  return leaf<string, string>(
    (value) => (typeof value === "string" && value.length >= min && value.length <= max ? value : undefined),
    (value) => (typeof value === "string" ? `${expected}, not ${value.length}` : expected),
  );
}

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
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;
const ZONE_SUFFIX = /(Z|[+-]\d{2}:?\d{2})$/i;
const SPACE = 32;

/**
 * Parses ISO-8601 (with or without zone; no zone means UTC) or epoch seconds/milliseconds
 * (number or numeric string) into epoch milliseconds. Returns undefined when it cannot:
 * a timestamp never silently becomes "now". Digits below the millisecond are truncated.
 */
export function parseTimestampMs(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? epochToMs(value) : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  // ISO first: nearly every intent and signal carries one.
  if (ISO_DATE.test(text)) return parseIsoMs(text);
  const n = decimalToNumber(text);
  return Number.isNaN(n) ? undefined : parseTimestampMs(n);
}

function parseIsoMs(text: string): number | undefined {
  // Each rewrite only when needed. Date.parse itself truncates digits below the millisecond.
  let iso = text.includes("T") || text.includes(" ") ? text : `${text}T00:00:00`;
  if (iso.charCodeAt(10) === SPACE) iso = `${iso.slice(0, 10)}T${iso.slice(11)}`;
  if (!ZONE_SUFFIX.test(iso)) iso = `${iso}Z`;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

function epochToMs(n: number): number {
  return n < SECONDS_CUTOFF ? Math.round(n * 1000) : Math.round(n);
}

/** A timestamp in any accepted form, normalized to epoch milliseconds. */
export const TimestampMs = leaf<number | string, number>(
  (value) => (typeof value === "number" || typeof value === "string" ? parseTimestampMs(value) : undefined),
  () => "expected an ISO-8601 time or epoch seconds/milliseconds",
);

/** A string enum matched case-insensitively and normalized to the listed spelling. */
export function caseInsensitiveEnum<const T extends readonly [string, ...string[]]>(values: T) {
  const byLower = new Map(values.map((v) => [v.toLowerCase(), v] as const));
  return leaf<string, T[number]>(
    (value) => (typeof value === "string" ? byLower.get(value.trim().toLowerCase()) : undefined),
    () => `expected one of ${values.join("|")}`,
  );
}
