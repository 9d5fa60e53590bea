import type { KlineInterval } from "@tradewire/schemas";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** 1970-01-01 was a Thursday; Binance weeks open on Monday 00:00 UTC. */
const WEEK_OFFSET = 4 * DAY;

const FIXED: Record<Exclude<KlineInterval, "1M">, number> = {
  "1s": SECOND,
  "1m": MINUTE,
  "3m": 3 * MINUTE,
  "5m": 5 * MINUTE,
  "15m": 15 * MINUTE,
  "30m": 30 * MINUTE,
  "1h": HOUR,
  "2h": 2 * HOUR,
  "4h": 4 * HOUR,
  "6h": 6 * HOUR,
  "8h": 8 * HOUR,
  "12h": 12 * HOUR,
  "1d": DAY,
  "3d": 3 * DAY,
  "1w": 7 * DAY,
};

/** Length of a fixed-size interval in ms; undefined for `1M` (calendar months). */
export function fixedIntervalMs(interval: KlineInterval): number | undefined {
  return interval === "1M" ? undefined : FIXED[interval];
}

/** Open time of the candle containing `t` (ms, UTC). */
export function candleOpen(interval: KlineInterval, t: number): number {
  if (interval === "1M") {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  const ms = FIXED[interval];
  const offset = interval === "1w" ? WEEK_OFFSET : 0;
  return Math.floor((t - offset) / ms) * ms + offset;
}

/** Open time of the candle after the one opening at `openTime`. */
export function nextOpen(interval: KlineInterval, openTime: number): number {
  if (interval === "1M") {
    const d = new Date(openTime);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return openTime + FIXED[interval];
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
  return forming - FIXED[interval];
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
