import type { MarketData } from "@tradewire/schemas";
import { Doorbell } from "@tradewire/supervisor";
import type { Quote } from "./decide.js";

/** The latest bid/ask per symbol from bookTicker and depth20, stamped with wall-clock receive time. */
export class PriceBook {
  private readonly quotes = new Map<string, Quote>();
  /** Rung when a symbol is quoted for the first time (see `waitForPrices`). */
  readonly newSymbol = new Doorbell();

  update(m: MarketData, receivedAt: number): void {
    switch (m.kind) {
      case "bookTicker":
        this.set(m.symbol, { bid: Number(m.bidPrice), ask: Number(m.askPrice), at: receivedAt });
        break;
      case "depth20": {
        const bid = m.bids[0];
        const ask = m.asks[0];
        if (bid && ask) this.set(m.symbol, { bid: Number(bid[0]), ask: Number(ask[0]), at: receivedAt });
        break;
      }
      case "trade":
      case "kline":
        break;
    }
  }

  private set(symbol: string, q: Quote): void {
    const known = this.quotes.has(symbol);
    this.quotes.set(symbol, q);
    if (!known) this.newSymbol.ring();
  }

  get(symbol: string): Quote | undefined {
    return this.quotes.get(symbol);
  }

  /** The symbol's mid price, from its latest quote whatever its age. */
  mid(symbol: string): number | undefined {
    const q = this.quotes.get(symbol);
    return q === undefined ? undefined : (q.bid + q.ask) / 2;
  }

  /** The symbol's mid price, from a quote no older than `maxAgeMs`. */
  freshMid(symbol: string, maxAgeMs: number, now = Date.now()): number | undefined {
    const q = this.quotes.get(symbol);
    return q !== undefined && now - q.at <= maxAgeMs ? (q.bid + q.ask) / 2 : undefined;
  }

  symbols(): string[] {
    return [...this.quotes.keys()];
  }
}
