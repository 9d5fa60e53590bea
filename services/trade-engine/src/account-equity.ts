import type { Logger } from "@tradewire/logger";
import type { AccountHoldings } from "./execution/venue.js";

/** What `position_size_pct` sizes on: the account's equity in USD, or why it is not known now. */
export type EquityReading = { usd: number } | { unknown: string };

/** A spot account valued in USD, and the assets it holds that could not be priced (left out). */
export interface AccountValuation {
  usd: number;
  unpriced: string[];
}

/**
 * Values what the exchange says the account holds. USD-M reports its margin balance (wallet plus
 * unrealized PnL) itself; spot balances are valued here: a USD quote asset at 1, any other asset
 * at the mid of `<asset><USD quote>` (`mid` answers only from a fresh quote), and one with no such
 * price left out (named in `unpriced`): the equity read is then low, never made up.
 */
export function valueAccount(
  holdings: AccountHoldings,
  usdAssets: readonly string[],
  mid: (symbol: string) => number | undefined,
): AccountValuation {
  if (holdings.market === "futures") return { usd: holdings.marginBalance, unpriced: [] };
  let usd = 0;
  const unpriced: string[] = [];
  for (const { asset, amount } of holdings.balances) {
    if (amount === 0) continue;
    if (usdAssets.includes(asset)) {
      usd += amount;
      continue;
    }
    const price = usdAssets.map((quote) => mid(`${asset}${quote}`)).find((p) => p !== undefined);
    if (price === undefined) unpriced.push(asset);
    else usd += amount * price;
  }
  return { usd, unpriced };
}

interface AccountEquityDeps {
  read: () => Promise<AccountHoldings>;
  usdAssets: readonly string[];
  /** A symbol's mid at `at` from a fresh quote; undefined when there is none. */
  mid: (symbol: string, at: number) => number | undefined;
  /** A read older than this is not sized on. */
  maxAgeMs: number;
  log: Logger;
}

/**
 * The exchange account's equity. What the account holds is read at start and then every
 * ACCOUNT_EQUITY_REFRESH_S by its task (a REST call per signal would spend weight on the hot path), kept with the
 * time the read began; it is valued at the mids of the decision's moment, and a decision takes it
 * only while the read is fresh.
 */
export class AccountEquity {
  private last: { holdings: AccountHoldings; at: number } | undefined;
  /** Reads failed in a row since the last that went through. */
  private failures = 0;
  /** The assets last left out, said at each change. */
  private unpriced = "";

  constructor(private readonly deps: AccountEquityDeps) {}

  /** Reads the account; a failure is thrown to the caller (logged there), counted here. */
  async refresh(now = Date.now()): Promise<void> {
    let holdings: AccountHoldings;
    try {
      holdings = await this.deps.read();
    } catch (error) {
      this.failures++;
      throw error;
    }
    if (this.last === undefined)
      this.deps.log.info("account holdings read: position_size_pct sizes on their equity", {
        market: holdings.market,
      });
    else if (this.failures > 0)
      this.deps.log.info("account holdings read again", { failedReads: this.failures });
    this.failures = 0;
    this.last = { holdings, at: now };
  }

  /** The equity at `at`, while the read is fresh; otherwise why it cannot be sized on. */
  reading(at = Date.now()): EquityReading {
    if (this.last === undefined) return { unknown: "the account has not been read yet" };
    const ageMs = at - this.last.at;
    if (ageMs > this.deps.maxAgeMs)
      return {
        unknown: `the account was last read ${Math.round(ageMs / 1000)} s ago, more than the ${Math.round(this.deps.maxAgeMs / 1000)} s its equity is trusted for`,
      };
    const { usd, unpriced } = this.value(this.last.holdings, at);
    const left = unpriced.join(",");
    if (left !== this.unpriced && left !== "")
      this.deps.log.warn("account equity leaves out assets the engine has no fresh USD price for", {
        assets: unpriced,
        equityUsd: usd,
      });
    this.unpriced = left;
    return { usd };
  }

  /** The equity of the last read, however old (the gauge; its age has its own); NaN before one. */
  latest(): number {
    return this.last === undefined ? Number.NaN : this.value(this.last.holdings, Date.now()).usd;
  }

  /** Seconds since the last read that went through began; NaN before one. */
  ageSeconds(now = Date.now()): number {
    return this.last === undefined ? Number.NaN : (now - this.last.at) / 1000;
  }

  private value(holdings: AccountHoldings, at: number): AccountValuation {
    return valueAccount(holdings, this.deps.usdAssets, (symbol) => this.deps.mid(symbol, at));
  }
}
