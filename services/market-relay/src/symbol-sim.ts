import type { BookTicker, Depth20, Kline, Market, Trade } from "@tradewire/schemas";
import { PricePath } from "./price-path.js";
import { gaussian, hashString, seededRandom } from "./random.js";

const MINUTE = 60_000;

export interface SimOutput {
  depth: Depth20;
  bookTicker: BookTicker;
  trades: Trade[];
  /** The forming 1m kline after this step, plus the closed one when a minute ended. */
  klines: Kline[];
}

/** Tick size by price magnitude, like Binance's PRICE_FILTER. */
export function tickSizeFor(price: number): number {
  if (price >= 1000) return 0.01;
  if (price >= 10) return 0.001;
  return 0.0001;
}

/** Decimal places of a tick such as 0.01 (2). */
export function decimals(step: number): number {
  return Math.max(0, Math.round(-Math.log10(step)));
}

const START_PRICES: Record<string, number> = { BTCUSDT: 30_000, ETHUSDT: 2_000, BNBUSDT: 300, SOLUSDT: 25 };

interface FormingKline {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  quoteVolume: number;
  trades: number;
  takerBuyBase: number;
  takerBuyQuote: number;
}

/** One symbol's simulated market: a price path, a depth20 book around it, trades and 1m klines. */
export class SymbolSimulator {
  private readonly random: () => number;
  private readonly path: PricePath;
  private readonly tick: number;
  private readonly priceDp: number;
  private updateId = 1;
  private tradeId = 1;
  private kline: FormingKline | undefined;

  constructor(
    readonly symbol: string,
    seed: number,
    private readonly market: Market = "spot",
  ) {
    this.random = seededRandom(seed ^ hashString(symbol));
    const start = START_PRICES[symbol] ?? 50 + (hashString(symbol) % 500);
    this.path = new PricePath(start, this.random);
    this.tick = tickSizeFor(start);
    this.priceDp = decimals(this.tick);
  }

  get price(): number {
    return this.path.price;
  }

  private px(value: number): string {
    return (Math.round(value / this.tick) * this.tick).toFixed(this.priceDp);
  }

  private qty(value: number): string {
    return Math.max(0.00001, value).toFixed(5);
  }

  /** Advances the market by one book update at simulated time `now` (epoch ms). */
  step(now: number): SimOutput {
    this.path.plan();
    const before = this.path.price;
    const after = this.path.step();
    const spreadTicks = 1 + Math.floor(this.random() * 3);
    const mid = after;
    const bestBid = Math.round((mid - (spreadTicks * this.tick) / 2) / this.tick) * this.tick;
    const bestAsk = bestBid + spreadTicks * this.tick;
    // The book leans into the coming move: more size on the side the trend pushes from.
    const lean = Math.sign(this.path.drift) * (0.25 + this.random() * 0.35);
    const bids: [string, string][] = [];
    const asks: [string, string][] = [];
    for (let level = 0; level < 20; level++) {
      const base = (0.5 + this.random() * 2) * (1 + level * 0.15);
      bids.push([this.px(bestBid - level * this.tick), this.qty(base * (1 + lean))]);
      asks.push([this.px(bestAsk + level * this.tick), this.qty(base * (1 - lean))]);
    }
    const common = {
      venue: "binance" as const,
      market: this.market,
      symbol: this.symbol,
      eventTime: now,
      receiveTime: now,
    };
    const depth: Depth20 = { ...common, kind: "depth20", lastUpdateId: this.updateId, bids, asks };
    const bookTicker: BookTicker = {
      ...common,
      kind: "bookTicker",
      updateId: this.updateId,
      bidPrice: bids[0]?.[0] ?? this.px(bestBid),
      bidQty: bids[0]?.[1] ?? "1",
      askPrice: asks[0]?.[0] ?? this.px(bestAsk),
      askQty: asks[0]?.[1] ?? "1",
    };
    this.updateId += 1;
    const trades = this.trades(now, before, after, bookTicker, common);
    return { depth, bookTicker, trades, klines: this.klines(now, trades, common) };
  }

  private trades(
    now: number,
    before: number,
    after: number,
    book: BookTicker,
    common: Omit<Trade, "kind" | "tradeId" | "price" | "quantity" | "tradeTime" | "buyerIsMaker">,
  ): Trade[] {
    const count = Math.max(0, Math.round(1 + gaussian(this.random)));
    const out: Trade[] = [];
    const up = after >= before;
    for (let i = 0; i < count; i++) {
      // Aggressors follow the move more often than not.
      const buyerAggressor = this.random() < (up ? 0.65 : 0.35);
      out.push({
        ...common,
        kind: "trade",
        tradeId: this.tradeId++,
        price: buyerAggressor ? book.askPrice : book.bidPrice,
        quantity: this.qty(0.001 + this.random() * 0.2),
        tradeTime: now,
        buyerIsMaker: !buyerAggressor,
      });
    }
    return out;
  }

  private klines(
    now: number,
    trades: Trade[],
    common: Omit<
      Kline,
      | "kind"
      | "interval"
      | "openTime"
      | "closeTime"
      | "open"
      | "high"
      | "low"
      | "close"
      | "volume"
      | "quoteVolume"
      | "trades"
      | "takerBuyBaseVolume"
      | "takerBuyQuoteVolume"
      | "isClosed"
    >,
  ): Kline[] {
    const out: Kline[] = [];
    const openTime = Math.floor(now / MINUTE) * MINUTE;
    if (this.kline && this.kline.openTime !== openTime) {
      out.push(this.toKline(this.kline, true, common));
      this.kline = undefined;
    }
    for (const t of trades) {
      const price = Number(t.price);
      const qty = Number(t.quantity);
      this.kline ??= {
        openTime,
        open: price,
        high: price,
        low: price,
        close: price,
        volume: 0,
        quoteVolume: 0,
        trades: 0,
        takerBuyBase: 0,
        takerBuyQuote: 0,
      };
      const k = this.kline;
      k.high = Math.max(k.high, price);
      k.low = Math.min(k.low, price);
      k.close = price;
      k.volume += qty;
      k.quoteVolume += qty * price;
      k.trades += 1;
      if (!t.buyerIsMaker) {
        k.takerBuyBase += qty;
        k.takerBuyQuote += qty * price;
      }
    }
    if (this.kline) out.push(this.toKline(this.kline, false, common));
    return out;
  }

  private toKline(
    k: FormingKline,
    isClosed: boolean,
    common: Parameters<SymbolSimulator["klines"]>[2],
  ): Kline {
    return {
      ...common,
      kind: "kline",
      interval: "1m",
      openTime: k.openTime,
      closeTime: k.openTime + MINUTE - 1,
      open: this.px(k.open),
      high: this.px(k.high),
      low: this.px(k.low),
      close: this.px(k.close),
      volume: k.volume.toFixed(5),
      quoteVolume: k.quoteVolume.toFixed(4),
      trades: k.trades,
      takerBuyBaseVolume: k.takerBuyBase.toFixed(5),
      takerBuyQuoteVolume: k.takerBuyQuote.toFixed(4),
      isClosed,
    };
  }
}
