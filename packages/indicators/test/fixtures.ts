import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Candle } from "../src/types.js";

/** `/work/shared/data/binance/candles`: the `shared` folder beside the repository root. */
export const CANDLES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../../shared/data/binance/candles",
);

export const FILES = {
  btc1mWithGap: "binance_spot_BTC_USDT-1m_2023-03-16_to_2023-05-01_freqtrade_WITH_GAP.json",
  btc5mWithGap: "binance_spot_BTC_USDT-5m_2023-03-16_to_2023-05-01_freqtrade_WITH_GAP.json",
  btc5mNoGap: "binance_spot_BTC_USDT-5m_2023-04-05_to_2023-05-05_freqtrade_NO_GAP.json",
} as const;

function isRow(row: unknown): row is [number, number, number, number, number, number] {
  return Array.isArray(row) && row.length >= 6 && row.slice(0, 6).every((v) => typeof v === "number");
}

/** Loads a Freqtrade candle file (`[openTime, open, high, low, close, volume]` rows). */
export function loadCandles(file: string, limit = Number.POSITIVE_INFINITY): Candle[] {
  const full = path.join(CANDLES_DIR, file);
  if (!existsSync(full)) {
    throw new Error(
      `candle fixture missing: ${full} — the shared data folder must sit beside the repository root (../shared/data/binance/candles)`,
    );
  }
  const rows: unknown = JSON.parse(readFileSync(full, "utf8"));
  if (!Array.isArray(rows)) throw new Error(`${full}: expected a JSON array`);
  const out: Candle[] = [];
  for (const row of rows) {
    if (out.length >= limit) break;
    if (!isRow(row)) throw new Error(`${full}: malformed row ${JSON.stringify(row)}`);
    const [openTime, open, high, low, close, volume] = row;
    out.push({ openTime, open, high, low, close, volume });
  }
  return out;
}

/** Relative difference, absolute near zero. */
export function relDiff(a: number, b: number): number {
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale < 1 ? Math.abs(a - b) : Math.abs(a - b) / scale;
}

/** Asserts two aligned series agree to `tol` relative; returns the worst difference for reporting. */
export function expectClose(
  name: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-9,
) {
  if (actual.length !== expected.length) {
    throw new Error(`${name}: length ${actual.length} != reference ${expected.length}`);
  }
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] ?? Number.NaN;
    const e = expected[i] ?? Number.NaN;
    const d = relDiff(a, e);
    if (!(d <= tol)) throw new Error(`${name}[${i}]: ${a} vs reference ${e} (rel diff ${d})`);
    if (d > worst) worst = d;
  }
  return worst;
}
