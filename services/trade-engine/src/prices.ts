import type { MarketData } from "@tradewire/schemas";
import type { Quote } from "./decide.js";

/** The latest bid/ask per symbol from bookTicker and depth20, stamped with wall-clock receive time. */
export class PriceBook {
  private readonly quotes = new Map<string, Quote>();

  update(m: MarketData, receivedAt: number): void {
    switch (m.kind) {
      case "bookTicker":
        this.quotes.set(m.symbol, { bid: Number(m.bidPrice), ask: Number(m.askPrice), at: receivedAt });
        break;
      case "depth20": {
        const bid = m.bids[0];
        const ask = m.asks[0];
        if (bid && ask)
          this.quotes.set(m.symbol, { bid: Number(bid[0]), ask: Number(ask[0]), at: receivedAt });
        break;
      }
      case "trade":
      case "kline":
        break;
    }
  }

  get(symbol: string): Quote | undefined {
    return this.quotes.get(symbol);
  }

  symbols(): string[] {
    return [...this.quotes.keys()];
  }
}
