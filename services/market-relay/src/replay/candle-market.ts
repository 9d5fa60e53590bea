import { numberToDecimal } from "@tradewire/binance";
import type {
  BookTicker,
  Depth20,
  Kline,
  KlineInterval,
  Market,
  MarketData,
  Trade,
} from "@tradewire/schemas";
import { decimals, tickSizeFor } from "../symbol-sim.js";
import type { Candle } from "./candle-file.js";

/** One replay step: the messages to publish and the simulated time they belong to. */
export interface ReplayStep {
  at: number;
  messages: MarketData[];
}

const LEVELS = 20;

/**
 * Turns each candle into four trade steps (open → high/low in the candle's direction → close),
 * each with the book around the trade and the forming kline, then the closed kline exactly as
 * the file has it. Trades stay within [low, high], volumes add up to the candle's volume, the
 * book is never crossed.
 */
export class CandleMarket {
  private tradeId = 1;
  private updateId = 1;

  constructor(
    private readonly symbol: string,
    private readonly interval: KlineInterval,
    private readonly intervalMs: number,
    private readonly market: Market = "spot",
  ) {}

  steps(candle: Candle): ReplayStep[] {
    const bullish = candle.close >= candle.open;
    const path = bullish
      ? [candle.open, candle.low, candle.high, candle.close]
      : [candle.open, candle.high, candle.low, candle.close];
    // Binance-like ticks, but fine enough for tiny prices (XRP/ETH at 0.0003) that 20 levels stay positive.
    const tick = Math.min(tickSizeFor(candle.open), 10 ** Math.floor(Math.log10(candle.open)) / 1000);
    const dp = decimals(tick);
    const px = (n: number) => n.toFixed(dp);
    const qtyEach = candle.volume / path.length;
    const forming = {
      high: candle.open,
      low: candle.open,
      volume: 0,
      quote: 0,
      buyVolume: 0,
      buyQuote: 0,
      trades: 0,
    };
    const steps: ReplayStep[] = [];
    let previous = candle.open;
    path.forEach((price, i) => {
      const at = candle.openTime + Math.floor(((i + 1) * this.intervalMs) / (path.length + 1));
      const buyerAggressor = price >= previous;
      previous = price;
      const quantity = i === path.length - 1 ? candle.volume - qtyEach * (path.length - 1) : qtyEach;
      forming.high = Math.max(forming.high, price);
      forming.low = Math.min(forming.low, price);
      forming.volume += quantity;
      forming.quote += quantity * price;
      forming.trades += 1;
      if (buyerAggressor) {
        forming.buyVolume += quantity;
        forming.buyQuote += quantity * price;
      }
      const base = {
        venue: "binance" as const,
        market: this.market,
        symbol: this.symbol,
        eventTime: at,
        receiveTime: at,
      };
      const trade: Trade = {
        ...base,
        kind: "trade",
        tradeId: this.tradeId++,
        price: numberToDecimal(price),
        quantity: quantity.toFixed(8),
        tradeTime: at,
        buyerIsMaker: !buyerAggressor,
      };
      const bid = price - tick;
      const ask = price + tick;
      const level = (p: number, k: number): [string, string] => [
        px(p),
        (0.5 + ((k * 7 + this.updateId) % 10) / 10).toFixed(4),
      ];
      const depth: Depth20 = {
        ...base,
        kind: "depth20",
        lastUpdateId: this.updateId,
        bids: Array.from({ length: LEVELS }, (_, k) => level(bid - k * tick, k)),
        asks: Array.from({ length: LEVELS }, (_, k) => level(ask + k * tick, k)),
      };
      const bookTicker: BookTicker = {
        ...base,
        kind: "bookTicker",
        updateId: this.updateId++,
        bidPrice: px(bid),
        bidQty: depth.bids[0]?.[1] ?? "1",
        askPrice: px(ask),
        askQty: depth.asks[0]?.[1] ?? "1",
      };
      const last = i === path.length - 1;
      steps.push({
        at,
        messages: [trade, this.kline(candle, forming, base, price, false), bookTicker, depth],
      });
      if (last) {
        const closeAt = candle.openTime + this.intervalMs - 1;
        steps.push({
          at: closeAt,
          messages: [
            this.kline(candle, forming, { ...base, eventTime: closeAt, receiveTime: closeAt }, price, true),
          ],
        });
      }
    });
    return steps;
  }

  private kline(
    candle: Candle,
    f: {
      high: number;
      low: number;
      volume: number;
      quote: number;
      buyVolume: number;
      buyQuote: number;
      trades: number;
    },
    base: { venue: "binance"; market: Market; symbol: string; eventTime: number; receiveTime: number },
    last: number,
    closed: boolean,
  ): Kline {
    // The closed kline repeats the file's candle exactly; the forming ones follow the trades.
    return {
      ...base,
      kind: "kline",
      interval: this.interval,
      openTime: candle.openTime,
      closeTime: candle.openTime + this.intervalMs - 1,
      open: numberToDecimal(candle.open),
      high: numberToDecimal(closed ? candle.high : f.high),
      low: numberToDecimal(closed ? candle.low : f.low),
      close: numberToDecimal(closed ? candle.close : last),
      volume: closed ? numberToDecimal(candle.volume) : f.volume.toFixed(8),
      quoteVolume: f.quote.toFixed(8),
      trades: f.trades,
      takerBuyBaseVolume: f.buyVolume.toFixed(8),
      takerBuyQuoteVolume: f.buyQuote.toFixed(8),
      isClosed: closed,
    };
  }
}
