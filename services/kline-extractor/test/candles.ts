import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sharedDataDir } from "@tradewire/testkit";
import type { KlineRow } from "../src/storage/index.js";

export const BTC_1M_FILE = "binance_spot_BTC_USDT-1m_2023-03-16_to_2023-05-01_freqtrade_WITH_GAP.json";

/** Candles of a freqtrade file as stored rows (fields the file lacks are derived). */
export function loadCandleRows(file = BTC_1M_FILE, stepMs = 60_000): KlineRow[] {
  const raw: unknown = JSON.parse(readFileSync(join(sharedDataDir(), "binance", "candles", file), "utf8"));
  if (!Array.isArray(raw)) throw new Error(`${file}: expected an array`);
  return raw.map((row: unknown) => {
    if (!Array.isArray(row) || row.length < 6) throw new Error(`${file}: bad row`);
    const [t, o, h, l, c, v] = row.map(Number) as [number, number, number, number, number, number];
    return {
      openTime: t,
      open: String(o),
      high: String(h),
      low: String(l),
      close: String(c),
      volume: String(v),
      closeTime: t + stepMs - 1,
      quoteVolume: (v * c).toFixed(8),
      trades: 0,
      takerBuyBaseVolume: "0",
      takerBuyQuoteVolume: "0",
    };
  });
}
