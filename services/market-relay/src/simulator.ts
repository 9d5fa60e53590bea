import type { MarketData } from "@tradewire/schemas";
import { SymbolSimulator } from "./symbol-sim.js";

export const BOOK_INTERVAL_MS = 100;

/**
 * The whole simulated market: one SymbolSimulator per symbol on a shared simulated clock that
 * advances one book interval (100 ms) per step, starting at `startMs`. The runner steps it every
 * 100 ms / SIM_SPEED of wall time, so simulated time runs SIM_SPEED times faster.
 */
export class MarketSimulator {
  private readonly symbols: SymbolSimulator[];
  private simNow: number;

  constructor(
    symbols: readonly string[],
    seed: number,
    startMs: number,
    market: "spot" | "futures" = "spot",
  ) {
    this.symbols = symbols.map((s) => new SymbolSimulator(s, seed, market));
    this.simNow = startMs;
  }

  get now(): number {
    return this.simNow;
  }

  /** One book interval for every symbol: the messages to publish, in order. */
  step(): MarketData[] {
    this.simNow += BOOK_INTERVAL_MS;
    const out: MarketData[] = [];
    for (const sim of this.symbols) {
      const step = sim.step(this.simNow);
      out.push(...step.trades, ...step.klines, step.bookTicker, step.depth);
    }
    return out;
  }
}
