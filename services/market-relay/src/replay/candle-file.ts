import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { fixedIntervalMs, KLINE_INTERVALS, type KlineInterval } from "@tradewire/schemas";

export interface Candle {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Milliseconds per candle; calendar months (`1M`) cannot be paced and are refused. */
export function intervalToMs(interval: KlineInterval): number {
  const ms = fixedIntervalMs(interval);
  if (ms === undefined)
    throw new Error(`REPLAY_INTERVAL: ${interval} cannot be replayed (calendar months have no fixed length)`);
  return ms;
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
