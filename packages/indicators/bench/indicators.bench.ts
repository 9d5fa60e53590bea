// Updates/s of a full indicator set over the real 1m BTC/USDT candles, against a baseline plain loop
// summing the closes of the same array in the same run. Prints one JSON object to stdout.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  ADX,
  ATR,
  BollingerBands,
  EMA,
  KlineAggregator,
  MACD,
  RealizedVolatility,
  RollingHighLow,
  RSI,
  SMA,
  VWAP,
} from "../src/index.js";

const FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../../shared/data/binance/candles/binance_spot_BTC_USDT-1m_2023-03-16_to_2023-05-01_freqtrade_WITH_GAP.json",
);
if (!existsSync(FILE)) throw new Error(`bench data missing: ${FILE}`);
const rows: unknown = JSON.parse(readFileSync(FILE, "utf8"));
if (!Array.isArray(rows)) throw new Error(`${FILE}: expected an array`);
const n = rows.length;
const time = new Float64Array(n);
const high = new Float64Array(n);
const low = new Float64Array(n);
const close = new Float64Array(n);
const volume = new Float64Array(n);
rows.forEach((row: unknown, i) => {
  if (!Array.isArray(row)) throw new Error(`row ${i} is not an array`);
  time[i] = Number(row[0]);
  high[i] = Number(row[2]);
  low[i] = Number(row[3]);
  close[i] = Number(row[4]);
  volume[i] = Number(row[5]);
});

const PASSES = 5;
const RUNS = 7;

function indicatorPass(): number {
  const sma = new SMA(20);
  const ema = new EMA(50);
  const rsi = new RSI(14);
  const macd = new MACD(12, 26, 9);
  const bb = new BollingerBands(20, 2);
  const atr = new ATR(14);
  const adx = new ADX(14);
  const vwap = new VWAP({ resetIntervalMs: 86_400_000 });
  const hl = new RollingHighLow(20);
  const rv = new RealizedVolatility(60, { periodsPerYear: 525_600 });
  let acc = 0;
  for (let p = 0; p < PASSES; p++) {
    for (let i = 0; i < n; i++) {
      const h = high[i] ?? 0;
      const l = low[i] ?? 0;
      const c = close[i] ?? 0;
      sma.update(c);
      ema.update(c);
      rsi.update(c);
      macd.update(c);
      bb.update(c);
      atr.update(h, l, c);
      adx.update(h, l, c);
      vwap.updateBar(h, l, c, volume[i] ?? 0, time[i] ?? 0);
      hl.update(h, l);
      rv.update(c);
    }
    acc += sma.value + rsi.value + macd.histogram + bb.upper + adx.value + vwap.value + hl.high + rv.value;
  }
  return acc;
}

function aggregatorPass(): number {
  let count = 0;
  for (let p = 0; p < PASSES; p++) {
    const agg = new KlineAggregator({ intervalMs: 300_000, onClose: () => count++ });
    const k = { openTime: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };
    for (let i = 0; i < n; i++) {
      k.openTime = time[i] ?? 0;
      k.open = k.close = close[i] ?? 0;
      k.high = high[i] ?? 0;
      k.low = low[i] ?? 0;
      k.volume = volume[i] ?? 0;
      agg.update(k);
    }
  }
  return count;
}

function baselinePass(): number {
  let sum = 0;
  for (let p = 0; p < PASSES; p++) for (let i = 0; i < n; i++) sum += close[i] ?? 0;
  return sum;
}

function ratePerSecond(fn: () => number): number {
  const rates: number[] = [];
  let sink = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    sink += fn();
    const ns = Number(process.hrtime.bigint() - t0);
    if (r > 0) rates.push((n * PASSES) / (ns / 1e9));
  }
  if (Number.isNaN(sink)) throw new Error("benchmark produced NaN");
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] ?? 0;
}

const baseline = ratePerSecond(baselinePass);
const indicators = ratePerSecond(indicatorPass);
const aggregation = ratePerSecond(aggregatorPass);
const round = (x: number) => Math.round(x);
const ratio = (x: number) => Number((x / baseline).toFixed(4));

process.stdout.write(
  `${JSON.stringify({
    name: "indicators",
    results: [
      {
        metric: "full indicator set (10 indicators) candle updates/s, 1m BTC/USDT",
        value: round(indicators),
        unit: "updates/s",
        baseline: round(baseline),
        ratio: ratio(indicators),
      },
      {
        metric: "full indicator set ns per candle",
        value: Number((1e9 / indicators).toFixed(1)),
        unit: "ns",
        baseline: Number((1e9 / baseline).toFixed(2)),
        ratio: Number((baseline / indicators).toFixed(1)),
      },
      {
        metric: "1m -> 5m kline aggregation updates/s",
        value: round(aggregation),
        unit: "updates/s",
        baseline: round(baseline),
        ratio: ratio(aggregation),
      },
    ],
  })}\n`,
);
