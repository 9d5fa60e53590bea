import { Writable } from "node:stream";

/** Rounds to 3 decimals for benchmark output. */
export const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** The p-quantile (0..1) of `values` (nearest rank); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

/** A stream that swallows log lines: benchmarks measure the service, not the terminal. */
export function discardStream(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

/** A fresh bookTicker quote for the engine's price book (validate it with `MarketData` when publishing). */
export function bookTicker(symbol: string, bid: string, ask: string) {
  const now = Date.now();
  return {
    venue: "binance" as const,
    market: "spot" as const,
    kind: "bookTicker" as const,
    symbol,
    eventTime: now,
    receiveTime: now,
    updateId: 1,
    bidPrice: bid,
    bidQty: "1",
    askPrice: ask,
    askQty: "1",
  };
}
