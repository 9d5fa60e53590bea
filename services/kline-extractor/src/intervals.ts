import { fixedIntervalMs, type KlineInterval } from "@tradewire/schemas";

/** 1970-01-01 was a Thursday; Binance weeks open on Monday 00:00 UTC. */
const WEEK_OFFSET = 4 * 86_400_000;

export { fixedIntervalMs };

/** The length of every interval but `1M`, which the callers handle before asking. */
const stepOf = (interval: Exclude<KlineInterval, "1M">): number => fixedIntervalMs(interval) as number;

/** Open time of the candle containing `t` (ms, UTC). */
export function candleOpen(interval: KlineInterval, t: number): number {
  if (interval === "1M") {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  const ms = stepOf(interval);
  const offset = interval === "1w" ? WEEK_OFFSET : 0;
  return Math.floor((t - offset) / ms) * ms + offset;
}

/** Open time of the candle after the one opening at `openTime`. */
export function nextOpen(interval: KlineInterval, openTime: number): number {
  if (interval === "1M") {
    const d = new Date(openTime);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return openTime + stepOf(interval);
}

/** The first candle open at or after `t`. */
export function alignUp(interval: KlineInterval, t: number): number {
  const open = candleOpen(interval, t);
  return open === t ? t : nextOpen(interval, open);
}

/** Binance's close time of a candle: the last millisecond before the next one opens. */
export function closeTimeOf(interval: KlineInterval, openTime: number): number {
  return nextOpen(interval, openTime) - 1;
}

/**
 * Open time of the most recent candle that is CLOSED at `now` (F42: the still-forming candle is
 * never stored). A candle is closed once `now` is past its close time.
 */
export function lastClosedOpen(interval: KlineInterval, now: number): number {
  const forming = candleOpen(interval, now);
  if (interval === "1M") {
    const d = new Date(forming);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
  }
  return forming - stepOf(interval);
}

/** Number of candle opens in [start, end] (both inclusive, both aligned). */
export function candlesBetween(interval: KlineInterval, start: number, end: number): number {
  if (end < start) return 0;
  const ms = fixedIntervalMs(interval);
  if (ms !== undefined) return Math.floor((end - start) / ms) + 1;
  let n = 0;
  for (let t = start; t <= end; t = nextOpen(interval, t)) n += 1;
  return n;
}

/** When the next candle of `interval` closes after `now` (the moment it may be fetched). */
export function nextCloseAt(interval: KlineInterval, now: number): number {
  return nextOpen(interval, candleOpen(interval, now));
}
