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
 * at the live mid of `<asset><USD quote>` the engine follows, and one it has no price for left out
 * (named in `unpriced`): the equity read is then low, never made up.
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
  mid: (symbol: string) => number | undefined;
  /** A reading older than this is not sized on. */
  maxAgeMs: number;
  log: Logger;
}

/**
 * The exchange account's equity. What the account holds is read every few seconds by its task (a
 * REST call per signal would spend weight on the hot path) and kept with its time; it is valued at
 * the mids of the moment it is asked for, and a decision takes it only while the read is fresh.
 */
export class AccountEquity {
  private last: { holdings: AccountHoldings; at: number } | undefined;
  /** The assets last left out, said once per change. */
  private unpriced = "";

  constructor(private readonly deps: AccountEquityDeps) {}

  async refresh(now = Date.now()): Promise<void> {
    const holdings = await this.deps.read();
    if (this.last === undefined)
      this.deps.log.info("account holdings read: position_size_pct sizes on their equity", {
        market: holdings.market,
      });
    this.last = { holdings, at: now };
  }

  /** The equity now, while the holdings' read is fresh; otherwise why it cannot be sized on. */
  reading(now = Date.now()): EquityReading {
    if (this.last === undefined) return { unknown: "the account has not been read yet" };
    const ageMs = now - this.last.at;
    if (ageMs > this.deps.maxAgeMs)
      return {
        unknown: `the account was last read ${Math.round(ageMs / 1000)} s ago, more than the ${Math.round(this.deps.maxAgeMs / 1000)} s its equity is trusted for`,
      };
    return { usd: this.value(this.last.holdings) };
  }

  /** The equity of the holdings last read, however old (the gauge); NaN before the first read. */
  latest(): number {
    return this.last === undefined ? Number.NaN : this.value(this.last.holdings);
  }

  private value(holdings: AccountHoldings): number {
    const { usd, unpriced } = valueAccount(holdings, this.deps.usdAssets, this.deps.mid);
    const left = unpriced.join(",");
    if (left !== this.unpriced && left !== "")
      this.deps.log.warn("account equity leaves out assets the engine has no USD price for", {
        assets: unpriced,
        equityUsd: usd,
      });
    this.unpriced = left;
    return usd;
  }
}
