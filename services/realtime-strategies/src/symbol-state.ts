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

  reset(): void {
    this.fast.reset();
    this.slow.reset();
    this.aggregator.reset();
    this.closes = 0;
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
  /** +1 while the 15m, 1h and 4h trends all point up, -1 all down, else 0. */
  trendAgreement = 0;
  /** Whether the last candle taken brought `trendAgreement` to what it is (it began with it). */
  trendAgreementBegan = false;
  lastEventAt = 0;
  /** When each kind of market data (depth20, trade, kline, bookTicker) came last (wall time). */
  readonly lastKindAt = new Map<string, number>();
  /** The last trade's price: what a trade-triggered signal is priced at (not a book's mid, which may be old). */
  lastTradePrice = Number.NaN;
  /** The live candles taken since the last hole in the series, while it is not made whole. */
  private sinceHole: Candle[] | undefined;

  /** `keepSinceHole`: how many live candles after a hole are kept to rebuild on (see rebuild). */
  constructor(
    readonly symbol: string,
    private readonly keepSinceHole = 6_000,
  ) {}

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

  onTrade(timeMs: number, price: number, quantity: number, buyerIsAggressor: boolean): void {
    this.lastTradePrice = price;
    this.flow.update(timeMs, quantity, buyerIsAggressor);
    this.tradeTimes.push(timeMs);
    while ((this.tradeTimes[0] ?? timeMs) < timeMs - 10_000) this.tradeTimes.shift();
  }

  /** Trades per second over the last 10 s. */
  get tradeVelocity(): number {
    return this.tradeTimes.length / 10;
  }

  /**
   * A live closed 1m candle (never a forming one). One that leaves a hole after the last taken (a
   * feed outage, a warm-up from a table that lags) starts the candle indicators afresh from it:
   * ones spanning the hole would describe no market. Returns how many candles are missing (0: none).
   */
  onClosedCandle(c: Candle): number {
    const missing = this.lastCandle === undefined ? 0 : candlesBetween(this.lastCandle, c);
    if (missing > 0) {
      this.resetCandles();
      this.sinceHole = [];
    }
    this.take(c);
    if (this.sinceHole !== undefined) {
      this.sinceHole.push(c);
      // As long as a warm-up: the live run alone is what a rebuild would give.
      if (this.sinceHole.length >= this.keepSinceHole) this.sinceHole = undefined;
    }
    return missing;
  }

  /** The first live candle after the last hole, while the series is not whole again. */
  get firstAfterHole(): Candle | undefined {
    return this.sinceHole?.[0];
  }

  /**
   * Takes stored history: its newest run without a hole (an exchange halt leaves one for good),
   * then, after a hole, the live candles since when the history reaches them. Returns how many
   * history candles were taken; 0, with nothing changed, when the history does not reach the
   * first live candle after the hole.
   */
  rebuild(history: readonly Candle[]): number {
    const live = this.sinceHole ?? [];
    const first = live[0];
    const last = history.at(-1);
    if (first !== undefined && (last === undefined || !follows(last, first))) return 0;
    const run = newestRun(history);
    this.resetCandles();
    for (const c of [...run, ...live]) this.take(c);
    this.sinceHole = undefined;
    return run.length;
  }

  private resetCandles(): void {
    for (const x of [this.ema20, this.ema21, this.ema30, this.ema50, this.rsi, this.macd, this.bb]) x.reset();
    for (const x of [this.atr, this.adx, this.volumeAvg, ...this.trends]) x.reset();
    this.prevHistogram = Number.NaN;
    this.prevRsi = Number.NaN;
    this.prevClose = Number.NaN;
    this.prevUpper = Number.NaN;
    this.prevLower = Number.NaN;
    this.prevVolumeAvg = Number.NaN;
    this.lastCandle = undefined;
    this.candles = 0;
    this.trendAgreement = 0;
    this.trendAgreementBegan = false;
  }

  private take(c: Candle): void {
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
    const agreement = agreedDirection(this.trends.map((t) => t.direction));
    this.trendAgreementBegan = agreement !== this.trendAgreement;
    this.trendAgreement = agreement;
    this.lastCandle = c;
    this.candles += 1;
  }
}

/** The direction every one of `directions` has (+1, -1), or 0 when they differ or one is flat. */
function agreedDirection(directions: readonly number[]): number {
  const first = directions[0] ?? 0;
  return first !== 0 && directions.every((d) => d === first) ? first : 0;
}

/** The newest stretch of `history` (oldest first) with no hole in it. */
function newestRun(history: readonly Candle[]): readonly Candle[] {
  let from = history.length - 1;
  while (from > 0 && follows(history[from - 1] as Candle, history[from] as Candle)) from--;
  return history.slice(Math.max(0, from));
}

/** Whether `after` is the 1m candle right after `before`. */
function follows(before: Candle, after: Candle): boolean {
  return after.openTime - before.openTime === MINUTE;
}

/** How many 1m candles are missing between two taken one after the other. */
function candlesBetween(before: Candle, after: Candle): number {
  return Math.max(0, Math.round((after.openTime - before.openTime) / MINUTE) - 1);
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
