import type { MarketData } from "@tradewire/schemas";
import { Doorbell } from "@tradewire/supervisor";
import type { Quote } from "./decide.js";

/** A quote not taken: a side at 0 (an empty side) or below, or a bid at or above the ask. */
export interface RefusedQuote {
  symbol: string;
  source: "bookTicker" | "depth20";
  bid: number;
  ask: number;
  reason: "not_positive" | "crossed";
}

/**
 * The latest bid/ask per symbol from bookTicker and depth20, stamped with wall-clock receive time.
 * A quote that cannot be a market is refused and the previous one kept, so it ages into "no recent
 * price" rather than size, fill or trigger a stop at it: a bid of 0 would halve the mid that sizes
 * an order by its value, and fill a paper sell or trigger a long's stop at 0.
 */
export class PriceBook {
  private readonly quotes = new Map<string, Quote>();
  /** Rung when a symbol is quoted for the first time (see `waitForPrices`). */
  readonly newSymbol = new Doorbell();

  constructor(private readonly refused: (quote: RefusedQuote) => void) {}

  update(m: MarketData, receivedAt: number): void {
    switch (m.kind) {
      case "bookTicker":
        this.set(m.symbol, "bookTicker", Number(m.bidPrice), Number(m.askPrice), receivedAt);
        break;
      case "depth20":
        // An empty side reads as NaN, refused as not positive like a bookTicker side at 0.
        this.set(m.symbol, "depth20", Number(m.bids[0]?.[0]), Number(m.asks[0]?.[0]), receivedAt);
        break;
      case "trade":
      case "kline":
        break;
    }
  }

  private set(symbol: string, source: RefusedQuote["source"], bid: number, ask: number, at: number): void {
    // Written so that NaN fails too.
    const refusal = !(bid > 0 && ask > 0) ? "not_positive" : !(bid < ask) ? "crossed" : undefined;
    if (refusal !== undefined) {
      this.refused({ symbol, source, bid, ask, reason: refusal });
      return;
    }
    const q: Quote = { bid, ask, at };
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
