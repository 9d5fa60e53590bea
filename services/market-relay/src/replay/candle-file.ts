import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { KLINE_INTERVALS, type KlineInterval } from "@tradewire/schemas";

export interface Candle {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

const INTERVAL_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export function intervalToMs(interval: KlineInterval): number {
  const unit = INTERVAL_MS[interval.slice(-1)];
  if (unit === undefined || interval.endsWith("M"))
    throw new Error(`interval ${interval} cannot be replayed`);
  return Number(interval.slice(0, -1)) * unit;
}

/**
 * `binance_spot_BTC_USDT-5m_...json` → BTCUSDT, 5m (the layout of `shared/data/binance/candles`).
 * Undefined fields when the name does not say.
 */
export function describeCandleFile(path: string): { symbol?: string; interval?: KlineInterval } {
  const match = /_([A-Z0-9]+)_([A-Z0-9]+)(?:_[A-Z0-9]+)?-(\d+[smhdwM])(?:-futures)?_/.exec(basename(path));
  if (match === null) return {};
  const interval = match[3] as KlineInterval;
  return {
    symbol: `${match[1]}${match[2]}`,
    ...(KLINE_INTERVALS.includes(interval) ? { interval } : {}),
  };
}

/** Reads a freqtrade candle file (`[[openTime, open, high, low, close, volume], ...]`), checked row by row. */
export function loadCandles(path: string): Candle[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`REPLAY_FILE=${path}: cannot read it as JSON`, { cause: error });
  }
  if (!Array.isArray(raw) || raw.length === 0)
    throw new Error(`REPLAY_FILE=${path}: expected a non-empty array of candles`);
  return raw.map((row: unknown, i) => {
    const r = row as unknown[];
    if (
      !Array.isArray(r) ||
      r.length < 6 ||
      r.slice(0, 6).some((v) => typeof v !== "number" || !Number.isFinite(v))
    ) {
      throw new Error(
        `REPLAY_FILE=${path}: row ${i} is not [openTime, open, high, low, close, volume]: ${JSON.stringify(row)}`,
      );
    }
    const [openTime, open, high, low, close, volume] = r as number[];
    return { openTime, open, high, low, close, volume } as Candle;
  });
}
