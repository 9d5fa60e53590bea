import {
  ADX,
  ATR,
  BollingerBands,
  type Candle,
  DepthImbalance,
  EMA,
  KlineAggregator,
  MACD,
  RSI,
  SMA,
  TradeFlowImbalance,
} from "@tradewire/indicators";

const MINUTE = 60_000;

/** Trend of one higher timeframe: EMA9 vs EMA21 on its closed candles. */
export class TimeframeTrend {
  readonly fast = new EMA(9);
  readonly slow = new EMA(21);
  readonly aggregator: KlineAggregator;
  closes = 0;

  constructor(
    readonly label: string,
    intervalMs: number,
  ) {
    this.aggregator = new KlineAggregator({
      intervalMs,
      onClose: (c) => {
        this.fast.update(c.close);
        this.slow.update(c.close);
        this.closes += 1;
      },
    });
  }

  get isReady(): boolean {
    return this.slow.isReady;
  }

  /** +1 up, -1 down, 0 flat or not ready. */
  get direction(): number {
    if (!this.isReady) return 0;
    return Math.sign(this.fast.value - this.slow.value);
  }
}

/** Everything the strategies read for one symbol, updated incrementally. */
export class SymbolState {
  // Order book
  readonly imbalance = new DepthImbalance(5);
  readonly spreadAvg = new SMA(200);
  spreadTicks = Number.NaN;
  prevSpreadTicks = Number.NaN;
  bid = Number.NaN;
  ask = Number.NaN;
  tick = Number.NaN;
  // Trades
  readonly flow = new TradeFlowImbalance({ windowMs: 10_000 });
  private readonly tradeTimes: number[] = [];
  // 1m candles
  readonly ema20 = new EMA(20);
  readonly ema21 = new EMA(21);
  readonly ema30 = new EMA(30);
  readonly ema50 = new EMA(50);
  readonly rsi = new RSI(14);
  readonly macd = new MACD(12, 26, 9);
  readonly bb = new BollingerBands(20, 2);
  readonly atr = new ATR(14);
  readonly adx = new ADX(14);
  readonly volumeAvg = new SMA(20);
  readonly trends = [
    new TimeframeTrend("15m", 15 * MINUTE),
    new TimeframeTrend("1h", 60 * MINUTE),
    new TimeframeTrend("4h", 240 * MINUTE),
  ];
  prevHistogram = Number.NaN;
  prevRsi = Number.NaN;
  prevClose = Number.NaN;
  prevUpper = Number.NaN;
  prevLower = Number.NaN;
  prevVolumeAvg = Number.NaN;
  lastCandle: Candle | undefined;
  candles = 0;
  lastEventAt = 0;

  constructor(readonly symbol: string) {}

  /** False, with nothing taken, for a book with an empty side or a bid at or above the ask. */
  onDepth(
    bids: readonly (readonly [string, string])[],
    asks: readonly (readonly [string, string])[],
  ): boolean {
    const bid = Number(bids[0]?.[0]);
    const ask = Number(asks[0]?.[0]);
    if (!(bid > 0 && ask > bid)) return false;
    this.imbalance.update(bids, asks);
    this.tick = Math.min(Number.isNaN(this.tick) ? Number.POSITIVE_INFINITY : this.tick, levelSpacing(bids));
    this.bid = bid;
    this.ask = ask;
    this.prevSpreadTicks = this.spreadTicks;
    this.spreadTicks = Math.round((ask - bid) / this.tick);
    this.spreadAvg.update(this.spreadTicks);
    return true;
  }

  onTrade(timeMs: number, quantity: number, buyerIsAggressor: boolean): void {
    this.flow.update(timeMs, quantity, buyerIsAggressor);
    this.tradeTimes.push(timeMs);
    while ((this.tradeTimes[0] ?? timeMs) < timeMs - 10_000) this.tradeTimes.shift();
  }

  /** Trades per second over the last 10 s. */
  get tradeVelocity(): number {
    return this.tradeTimes.length / 10;
  }

  /** A closed 1m candle (never a forming one). */
  onClosedCandle(c: Candle): void {
    this.prevHistogram = this.macd.isReady ? this.macd.histogram : Number.NaN;
    this.prevRsi = this.rsi.isReady ? this.rsi.value : Number.NaN;
    this.prevClose = this.lastCandle?.close ?? Number.NaN;
    this.prevUpper = this.bb.isReady ? this.bb.upper : Number.NaN;
    this.prevLower = this.bb.isReady ? this.bb.lower : Number.NaN;
    this.prevVolumeAvg = this.volumeAvg.isReady ? this.volumeAvg.value : Number.NaN;
    for (const ema of [this.ema20, this.ema21, this.ema30, this.ema50]) ema.update(c.close);
    this.rsi.update(c.close);
    this.macd.update(c.close);
    this.bb.update(c.close);
    this.atr.update(c.high, c.low, c.close);
    this.adx.update(c.high, c.low, c.close);
    this.volumeAvg.update(c.volume);
    for (const t of this.trends) t.aggregator.update(c);
    this.lastCandle = c;
    this.candles += 1;
  }
}

/** Smallest gap between adjacent price levels: the tick size as the book shows it. */
function levelSpacing(levels: readonly (readonly [string, string])[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 1; i < Math.min(levels.length, 6); i++) {
    const gap = Math.abs(Number(levels[i - 1]?.[0]) - Number(levels[i]?.[0]));
    if (gap > 0 && gap < min) min = gap;
  }
  return min;
}
