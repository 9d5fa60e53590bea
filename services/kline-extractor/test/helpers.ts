import { createSilentLogger } from "@tradewire/logger";
import type { KlineRangeRequest, KlineSource } from "../src/source.js";
import type { KlineRow } from "../src/storage/types.js";

export const silent = createSilentLogger();

export const T = (iso: string) => Date.parse(iso);

/** An exchange error shaped like Binance's (-1121 invalid symbol). */
export class FakeExchangeError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An in-memory source with Binance's paging (ascending, at most `pageSize` per call): the
 * extractor's logic tested alone, without the REST layer.
 */
export class RowsSource implements KlineSource {
  calls = 0;
  constructor(
    private readonly bySymbol: Record<string, readonly KlineRow[]>,
    private readonly pageSize = 1000,
  ) {}

  async *pages(req: KlineRangeRequest): AsyncIterable<readonly KlineRow[]> {
    const rows = this.bySymbol[req.symbol];
    if (rows === undefined) throw new FakeExchangeError(-1121, "Invalid symbol.");
    let from = req.startTime;
    for (;;) {
      this.calls += 1;
      const page = rows
        .filter((r) => r.openTime >= from && r.openTime <= req.endTime)
        .slice(0, this.pageSize);
      if (page.length === 0) return;
      yield page;
      from = (page[page.length - 1] as KlineRow).openTime + 1;
      if (page.length < this.pageSize) return;
    }
  }
}

export function row(openTime: number, stepMs = 60_000, close = "100.5"): KlineRow {
  return {
    openTime,
    open: "100",
    high: "101",
    low: "99",
    close,
    volume: "1.5",
    closeTime: openTime + stepMs - 1,
    quoteVolume: "150.75",
    trades: 3,
    takerBuyBaseVolume: "0.5",
    takerBuyQuoteVolume: "50.25",
  };
}
