import type { Logger } from "@tradewire/logger";
import type { PriceBook } from "./prices.js";

/** Without a whitelist, the feed counts as warm once no new symbol has been quoted for this long. */
export const SETTLE_MS = 250;

export interface Warmup {
  quoted: string[];
  /** Whitelisted symbols still without a quote when the wait ended. */
  missing: string[];
  waitedMs: number;
}

/**
 * Waits until the price feed is warm before anything is decided (F40): a backlog read the moment
 * the engine starts would otherwise be rejected `no_recent_price` before the first quote arrives.
 * Warm means every whitelisted symbol quoted, or (no whitelist) at least one symbol quoted and no new
 * one for SETTLE_MS; the wait ends after `timeoutMs` whatever it saw, and says what is missing.
 */
export async function waitForPrices(
  prices: PriceBook,
  opts: { symbols: readonly string[]; timeoutMs: number; log: Logger; signal?: AbortSignal },
): Promise<Warmup> {
  const { symbols, timeoutMs, log, signal } = opts;
  const start = Date.now();
  if (timeoutMs === 0) {
    log.info("price warm-up off (PRICE_WARMUP_MS=0): deciding signals at once");
    return { quoted: prices.symbols(), missing: [], waitedMs: 0 };
  }
  const missing = () => symbols.filter((s) => prices.get(s) === undefined);
  const warm = (settled: boolean) =>
    symbols.length > 0 ? missing().length === 0 : prices.symbols().length > 0 && settled;
  let settled = false;
  while (!warm(settled) && !signal?.aborted) {
    const left = timeoutMs - (Date.now() - start);
    if (left <= 0) break;
    const before = prices.symbols().length;
    // Without a whitelist, a quiet SETTLE_MS after the first quote ends the wait.
    const rung = await prices.newSymbol.wait(
      before > 0 && symbols.length === 0 ? Math.min(SETTLE_MS, left) : left,
      signal,
    );
    settled = !rung && prices.symbols().length === before && before > 0;
  }
  const result = { quoted: prices.symbols(), missing: missing(), waitedMs: Date.now() - start };
  const fields = { quoted: result.quoted.length, missing: result.missing, waitedMs: result.waitedMs };
  // Stopping (shutdown, a task restart): nothing is decided after it, so nothing to warn about.
  if (signal?.aborted) log.info("price warm-up ended: stopping", fields);
  else if (result.quoted.length > 0 && result.missing.length === 0)
    log.info("price feed warm: deciding signals", fields);
  else
    log.warn("price feed not warm: deciding anyway; orders without a quote are rejected no_recent_price", {
      ...fields,
      timeoutMs,
    });
  return result;
}
