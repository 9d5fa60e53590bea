import type { SymbolState } from "../symbol-state.js";
import { type Evaluation, type Strategy, scaledConfidence } from "./types.js";

const need = (ready: boolean, what: string) => (ready ? undefined : what);

/** ema_pullback_continuation: in an uptrend (EMA20 > EMA30) the low touches EMA20 and the close holds above it; mirrored for downtrends. */
export function emaPullback(): Strategy {
  return {
    name: "ema_pullback_continuation",
    trigger: "candle",
    timeframe: "1m",
    notWarm: (s) => need(s.ema30.isReady, `EMA30 needs 30 closed 1m candles (have ${s.candles})`),
    evaluate(s): Evaluation {
      const c = s.lastCandle;
      if (!c) return { skip: "no candle" };
      const e20 = s.ema20.value;
      const e30 = s.ema30.value;
      const indicators = { ema20: e20, ema30: e30, low: c.low, high: c.high, close: c.close };
      if (e20 > e30 && c.low <= e20 && c.close > e20)
        return { action: "buy", confidence: scaledConfidence((e20 - e30) / e30, 0.002), indicators };
      if (e20 < e30 && c.high >= e20 && c.close < e20)
        return { action: "sell", confidence: scaledConfidence((e30 - e20) / e30, 0.002), indicators };
      return { skip: "no pullback to EMA20 in trend" };
    },
  };
}

/** momentum_pulse: MACD histogram crosses 0 up, RSI 50–65, ADX > 20, close above EMA21 and EMA50 (mirrored down). */
export function momentumPulse(p: { adxMin: number }): Strategy {
  return {
    name: "momentum_pulse",
    trigger: "candle",
    timeframe: "1m",
    notWarm: (s) =>
      need(
        s.macd.isReady && s.adx.isReady && s.ema50.isReady && !Number.isNaN(s.prevHistogram),
        `MACD/ADX/EMA50 warming up (have ${s.candles} of ~52 candles)`,
      ),
    evaluate(s): Evaluation {
      const close = s.lastCandle?.close ?? Number.NaN;
      const h = s.macd.histogram;
      const rsi = s.rsi.value;
      const adx = s.adx.value;
      const indicators = {
        macd_histogram: h,
        prev_histogram: s.prevHistogram,
        rsi,
        adx,
        ema21: s.ema21.value,
        ema50: s.ema50.value,
      };
      if (adx <= p.adxMin) return { skip: `ADX ${adx.toFixed(1)} <= ${p.adxMin}` };
      if (
        s.prevHistogram <= 0 &&
        h > 0 &&
        rsi >= 50 &&
        rsi <= 65 &&
        close > s.ema21.value &&
        close > s.ema50.value
      ) {
        return { action: "buy", confidence: scaledConfidence(adx - p.adxMin, 30), indicators };
      }
      if (
        s.prevHistogram >= 0 &&
        h < 0 &&
        rsi >= 35 &&
        rsi <= 50 &&
        close < s.ema21.value &&
        close < s.ema50.value
      ) {
        return { action: "sell", confidence: scaledConfidence(adx - p.adxMin, 30), indicators };
      }
      return { skip: "no MACD pulse with RSI/ADX/EMA agreement" };
    },
  };
}

/** rsi_extreme_reversal: RSI leaves an extreme (back above `oversold` from below, or below `overbought` from above). */
export function rsiReversal(p: { oversold: number; overbought: number }): Strategy {
  return {
    name: "rsi_extreme_reversal",
    trigger: "candle",
    timeframe: "1m",
    notWarm: (s) =>
      need(s.rsi.isReady && !Number.isNaN(s.prevRsi), `RSI14 warming up (have ${s.candles} of 16 candles)`),
    evaluate(s): Evaluation {
      const rsi = s.rsi.value;
      const indicators = { rsi, prev_rsi: s.prevRsi };
      if (s.prevRsi < p.oversold && rsi >= p.oversold)
        return { action: "buy", confidence: scaledConfidence(p.oversold - s.prevRsi, 20), indicators };
      if (s.prevRsi > p.overbought && rsi <= p.overbought)
        return { action: "sell", confidence: scaledConfidence(s.prevRsi - p.overbought, 20), indicators };
      return { skip: "RSI not leaving an extreme" };
    },
  };
}

/** bollinger_breakout: close crosses outside the band it was inside, on above-average volume. */
export function bollingerBreakout(p: { volumeFactor: number }): Strategy {
  return {
    name: "bollinger_breakout",
    trigger: "candle",
    timeframe: "1m",
    notWarm: (s) =>
      need(
        s.bb.isReady && !Number.isNaN(s.prevUpper) && !Number.isNaN(s.prevVolumeAvg),
        `Bollinger(20) warming up (have ${s.candles} candles)`,
      ),
    evaluate(s): Evaluation {
      const c = s.lastCandle;
      if (!c) return { skip: "no candle" };
      const indicators = {
        close: c.close,
        upper: s.bb.upper,
        lower: s.bb.lower,
        volume: c.volume,
        volume_avg: s.prevVolumeAvg,
      };
      if (c.volume < p.volumeFactor * s.prevVolumeAvg) return { skip: "volume below average" };
      if (s.prevClose <= s.prevUpper && c.close > s.bb.upper)
        return {
          action: "buy",
          confidence: scaledConfidence((c.close - s.bb.upper) / s.bb.stdDev, 1),
          indicators,
        };
      if (s.prevClose >= s.prevLower && c.close < s.bb.lower)
        return {
          action: "sell",
          confidence: scaledConfidence((s.bb.lower - c.close) / s.bb.stdDev, 1),
          indicators,
        };
      return { skip: "no band breakout" };
    },
  };
}

/**
 * multi_timeframe_trend: 15m, 1h and 4h trends (EMA9 vs EMA21 on each) come to agree. Once, when
 * they do: while they go on agreeing nothing new is said, where a signal at every 1m candle would
 * have sent about 60 identical entries an hour, each with a new id.
 */
export function multiTimeframeTrend(): Strategy {
  return {
    name: "multi_timeframe_trend",
    trigger: "candle",
    timeframe: "15m",
    notWarm: (s: SymbolState) => {
      const cold = s.trends.filter((t) => !t.isReady).map((t) => `${t.label} (${t.closes}/21 candles)`);
      return cold.length ? `higher timeframes warming up: ${cold.join(", ")}` : undefined;
    },
    evaluate(s): Evaluation {
      const indicators = Object.fromEntries(s.trends.map((t) => [`trend_${t.label}`, t.direction]));
      if (s.trendAgreement === 0) return { skip: "timeframes disagree" };
      if (!s.trendAgreementBegan) return { skip: "timeframes still agree: signalled when they came to" };
      return { action: s.trendAgreement > 0 ? "buy" : "sell", confidence: 0.75, indicators };
    },
  };
}
