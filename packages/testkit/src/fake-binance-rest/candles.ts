import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sharedDataDir } from "../shared-data.js";

/** Binance's 12-field kline row: [openTime, o, h, l, c, v, closeTime, quoteVolume, trades, takerBuyBase, takerBuyQuote, ignore]. */
export type KlineRow12 = [
  number,
  string,
  string,
  string,
  string,
  string,
  number,
  string,
  number,
  string,
  string,
  string,
];

const INTERVAL_MS: Record<string, number> = {
  "1m": 60_000,
  "3m": 180_000,
  "5m": 300_000,
  "15m": 900_000,
  "30m": 1_800_000,
  "1h": 3_600_000,
  "4h": 14_400_000,
  "1d": 86_400_000,
};

export function intervalMs(interval: string): number {
  const ms = INTERVAL_MS[interval];
  if (ms === undefined) throw new Error(`fake Binance: unsupported interval ${interval}`);
  return ms;
}

/**
 * Loads a Freqtrade candle file (`[openTime, open, high, low, close, volume]` numbers) from
 * `shared/data/binance/candles` as Binance 12-field rows; the missing fields are derived
 * deterministically (quote volume = volume × close, half the volume taker-bought).
 */
export function loadCandleFile(name: string, interval: string): KlineRow12[] {
  const raw = JSON.parse(
    readFileSync(join(sharedDataDir(), "binance", "candles", name), "utf8"),
  ) as number[][];
  const step = intervalMs(interval);
  return raw.map((r) => {
    const [openTime = 0, open = 0, high = 0, low = 0, close = 0, volume = 0] = r;
    return [
      openTime,
      String(open),
      String(high),
      String(low),
      String(close),
      String(volume),
      openTime + step - 1,
      (volume * close).toFixed(8),
      Math.max(1, Math.round(volume * 10)),
      (volume / 2).toFixed(8),
      ((volume * close) / 2).toFixed(8),
      "0",
    ];
  });
}

/** Binary search: index of the first row with openTime >= t. */
export function firstAtOrAfter(rows: readonly KlineRow12[], t: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((rows[mid]?.[0] ?? 0) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
