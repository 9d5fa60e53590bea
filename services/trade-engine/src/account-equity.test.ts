import { captureLogger } from "@tradewire/logger";
import { describe, expect, it } from "vitest";
import { AccountEquity, valueAccount } from "./account-equity.js";
import type { AccountHoldings } from "./execution/venue.js";

const USD = ["USDT", "USDC", "FDUSD"];
const mids: Record<string, number> = { BTCUSDT: 30_000, ETHFDUSD: 2_000 };
const mid = (symbol: string) => mids[symbol];

const spot = (balances: Record<string, number>): AccountHoldings => ({
  market: "spot",
  balances: Object.entries(balances).map(([asset, amount]) => ({ asset, amount })),
});

describe("valueAccount", () => {
  it("values spot balances: USD assets at 1, others at the mid of a USD pair the engine follows", () => {
    expect(valueAccount(spot({ USDT: 1_000, USDC: 500, BTC: 0.1, ETH: 2 }), USD, mid)).toEqual({
      usd: 1_000 + 500 + 3_000 + 4_000,
      unpriced: [],
    });
  });

  it("leaves out, and names, an asset it has no USD price for; zero balances are not named", () => {
    expect(valueAccount(spot({ USDT: 1_000, BNB: 3, DOGE: 0 }), USD, mid)).toEqual({
      usd: 1_000,
      unpriced: ["BNB"],
    });
  });

  it("takes USD-M's margin balance as it is", () => {
    expect(valueAccount({ market: "futures", marginBalance: 2_345.5 }, USD, mid)).toEqual({
      usd: 2_345.5,
      unpriced: [],
    });
  });
});

describe("AccountEquity", () => {
  const setup = (holdings: AccountHoldings, read = async () => holdings) => {
    const cap = captureLogger();
    const equity = new AccountEquity({
      read,
      usdAssets: USD,
      mid,
      maxAgeMs: 90_000,
      log: cap.logger,
    });
    return { equity, cap };
  };

  it("is unknown before the first read, and once the read is older than it is trusted for", async () => {
    const { equity } = setup(spot({ USDT: 1_000 }));
    expect(equity.reading(0)).toEqual({ unknown: "the account has not been read yet" });
    expect(equity.latest()).toBeNaN();
    await equity.refresh(1_000);
    expect(equity.reading(91_000)).toEqual({ usd: 1_000 });
    expect(equity.reading(91_001)).toEqual({
      unknown: "the account was last read 90 s ago, more than the 90 s its equity is trusted for",
    });
    // The gauge still shows the last read.
    expect(equity.latest()).toBe(1_000);
  });

  it("values the holdings at the mids of the moment it is asked", async () => {
    const { equity } = setup(spot({ BTC: 0.1 }));
    await equity.refresh(0);
    expect(equity.reading(1)).toEqual({ usd: 3_000 });
    mids.BTCUSDT = 31_000;
    try {
      expect(equity.reading(1)).toEqual({ usd: 3_100 });
    } finally {
      mids.BTCUSDT = 30_000;
    }
  });

  it("says at warn which assets its equity leaves out, once for as long as they are the same", async () => {
    const { equity, cap } = setup(spot({ USDT: 100, BNB: 1 }));
    await equity.refresh(0);
    equity.reading(1);
    equity.reading(2);
    // The gauge's valuation says nothing: only decisions do.
    equity.latest();
    expect(cap.find("account equity leaves out assets the engine has no fresh USD price for")).toMatchObject([
      { level: "warn", assets: ["BNB"], equityUsd: 100 },
    ]);
  });

  it("counts failed reads, says at info when one goes through again, and keeps the age of the last that did", async () => {
    let failing = false;
    const { equity, cap } = setup(spot({ USDT: 100 }), async () => {
      if (failing) throw new Error("503 from /api/v3/account");
      return spot({ USDT: 100 });
    });
    expect(equity.ageSeconds(0)).toBeNaN();
    await equity.refresh(1_000);
    failing = true;
    await expect(equity.refresh(2_000)).rejects.toThrow("503");
    await expect(equity.refresh(3_000)).rejects.toThrow("503");
    expect(equity.ageSeconds(4_000)).toBe(3);
    failing = false;
    await equity.refresh(5_000);
    expect(equity.ageSeconds(5_000)).toBe(0);
    expect(cap.find("account holdings read again")).toMatchObject([{ level: "info", failedReads: 2 }]);
  });
});
