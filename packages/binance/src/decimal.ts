/**
 * Exact decimal helpers on strings via scaled bigints: quantities round DOWN to the step, so an
 * order never says 0.30000000000000004 and never exceeds what sizing allowed (F24).
 */
function scaleOf(step: string): number {
  const dot = step.indexOf(".");
  return dot < 0 ? 0 : step.length - dot - 1;
}

const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

/** Binance writes plain decimals; "1e-8", "" or " 1" would otherwise reach BigInt() as nonsense or 0. */
function checked(value: string, label: string): string {
  if (!PLAIN_DECIMAL.test(value))
    throw new Error(`${label}: expected a plain decimal string, got ${JSON.stringify(value)}`);
  return value;
}

function toScaled(value: string, scale: number, label = "value"): bigint {
  checked(value, label);
  const negative = value.startsWith("-");
  const [int = "0", frac = ""] = (negative ? value.slice(1) : value).split(".");
  const digits = BigInt(int + frac.padEnd(scale, "0").slice(0, scale));
  return negative ? -digits : digits;
}

function fromScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/** A number as a plain decimal string with at most 8 fraction digits (Binance's precision), no exponent. */
export function toDecimal(value: number): string {
  const text = value.toFixed(8);
  return text.includes(".") ? text.replace(/\.?0+$/, "") || "0" : text;
}

/** Floor division, also for negatives (BigInt `/` truncates toward zero). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export type Rounding = "nearest" | "down" | "up";

/** `value` to a multiple of `unit` at full precision, written with the unit's scale. */
function roundToMultiple(value: string, unit: string, mode: Rounding, label: string): string {
  const unitScale = scaleOf(checked(unit, label));
  const scale = Math.max(unitScale, scaleOf(checked(value, "value")));
  const unitUnits = toScaled(unit, scale, label);
  if (unitUnits <= 0n) throw new Error(`${label}: expected a positive decimal, got ${JSON.stringify(unit)}`);
  const units = toScaled(value, scale);
  const n =
    mode === "down"
      ? floorDiv(units, unitUnits)
      : mode === "up"
        ? -floorDiv(-units, unitUnits)
        : floorDiv(2n * units + unitUnits, 2n * unitUnits); // half up
  return fromScaled((n * unitUnits) / 10n ** BigInt(scale - unitScale), unitScale);
}

/**
 * Floors `value` to a multiple of `step` ("0.00001"), written with the step's scale ("0.01000";
 * `trimDecimal` shortens it). Exact: extra digits are never rounded up.
 */
export function roundDownToStep(value: string, step: string): string {
  return roundToMultiple(value, step, "down", "step");
}

/** Rounds `value` to a multiple of `tick`: "nearest" (halves up, the default), "down" or "up". */
export function roundToTick(value: string, tick: string, mode: Rounding = "nearest"): string {
  return roundToMultiple(value, tick, mode, "tick");
}

/** "0.12300000" → "0.123", "5.00000000" → "5", "-0.0" → "0": the shortest form of the same value. */
export function trimDecimal(value: string): string {
  if (!value.includes(".")) return value === "-0" ? "0" : value;
  const trimmed = value.replace(/0+$/, "").replace(/\.$/, "");
  return trimmed === "-0" || trimmed === "" ? "0" : trimmed;
}

/** Exact comparison of two plain decimal strings: -1, 0 or 1. */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  const x = toScaled(a, scale, "a");
  const y = toScaled(b, scale, "b");
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Exact product of two plain decimal strings. */
export function multiplyDecimal(a: string, b: string): string {
  const sa = scaleOf(a);
  const sb = scaleOf(b);
  return trimDecimal(fromScaled(toScaled(a, sa, "a") * toScaled(b, sb, "b"), sa + sb));
}

/** Whether `value` is a plain decimal ("0.001", "-12.5"; not "1e-3" or ""). */
export function isPlainDecimal(value: string): boolean {
  return PLAIN_DECIMAL.test(value);
}

/** Throws unless `value` is a plain decimal ("0.001", not "1e-3" or ""), naming the field. */
export function assertDecimal(field: string, value: string): string {
  return checked(value, field);
}

/**
 * The exact shortest decimal of a finite number, exponent expanded (3.3e-7 → "0.00000033"). Unlike
 * `toDecimal` it never rounds, so flooring it to a step can never round a quantity up.
 */
export function numberToDecimal(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`expected a finite number, got ${n}`);
  const text = String(n);
  const e = text.search(/e/i);
  if (e < 0) return text;
  const exp = Number(text.slice(e + 1));
  const negative = text.startsWith("-");
  const mantissa = text.slice(negative ? 1 : 0, e);
  const [int = "", frac = ""] = mantissa.split(".");
  const digits = int + frac;
  const point = int.length + exp;
  const plain =
    point <= 0
      ? `0.${"0".repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + "0".repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (negative ? "-" : "") + plain;
}
