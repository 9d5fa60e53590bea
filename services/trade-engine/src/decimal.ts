/**
 * Exact decimal helpers on strings via scaled bigints: quantities round DOWN to the step, so an
 * order never says 0.30000000000000004 and never exceeds what sizing allowed (F24).
 */
function scaleOf(step: string): number {
  const dot = step.indexOf(".");
  return dot < 0 ? 0 : step.length - dot - 1;
}

function toScaled(value: string, scale: number): bigint {
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

/** Rounds `value` down to a multiple of `step` ("0.00001"), as a string with the step's scale. */
export function roundDownToStep(value: string, step: string): string {
  const scale = scaleOf(step);
  const stepUnits = toScaled(step, scale);
  if (stepUnits <= 0n) throw new Error(`invalid step ${JSON.stringify(step)}`);
  const units = toScaled(value, scale);
  return fromScaled((units / stepUnits) * stepUnits, scale);
}

/** Rounds `value` to the nearest multiple of `tick`. */
export function roundToTick(value: string, tick: string): string {
  const scale = scaleOf(tick);
  const tickUnits = toScaled(tick, scale);
  const units = toScaled(value, scale + 1);
  const rounded = (units + (tickUnits * 10n) / 2n) / (tickUnits * 10n);
  return fromScaled(rounded * tickUnits, scale);
}
