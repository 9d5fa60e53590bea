import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseExchangeFilters } from "@tradewire/binance";
import { parseConfig } from "@tradewire/config";
import { sharedDataDir } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { orderRequest } from "../test/order-request.js";
import { ConfigSchema } from "./config.js";
import { type Check, decide, type PortfolioView, type Quote } from "./decide.js";
import { applyFill, round8 } from "./paper.js";
import type { OrderRequest } from "./request.js";

const NOW = 1_700_000_000_000;
const cfg = parseConfig("test", ConfigSchema, { COOLDOWN_SECONDS: "60" });
const quote: Quote = { bid: 30_000, ask: 30_001, at: NOW - 100 };
const req = (o: Partial<OrderRequest> = {}): OrderRequest =>
  orderRequest({ strategyId: "orderbook_skew", timestampMs: NOW - 1000, ...o });
const empty: PortfolioView = {
  positions: new Map(),
  killSwitch: false,
  dailyRealizedPnl: 0,
  lastExecution: new Map(),
  equity: () => ({ usd: 10_000 }),
};
const run = (r: OrderRequest, view = empty, q: Quote | null = quote, c = cfg) =>
  decide(r, q ?? undefined, view, c, NOW, [] as Check[]);

const filters = (file: string) =>
  parseExchangeFilters(
    JSON.parse(readFileSync(join(sharedDataDir(), "binance/binance-payloads/exchangeInfo", file), "utf8")),
  );
const spot2024 = filters("spot_exchangeInfo_2024-09-08_BTCUSDT_ETHUSDT_trimmed.json");

describe("quote assets", () => {
  it("an entry on a symbol not quoted in dollars is rejected, never sized and limited in BTC as if dollars", () => {
    const ethBtc = { bid: 0.05, ask: 0.0501, at: NOW - 100 };
    const checks: Check[] = [];
    // $100 at 0.0501 BTC would be 1996 ETH: about 100 BTC, inside every USD limit.
    expect(decide(req({ symbol: "ETHBTC" }), ethBtc, empty, cfg, NOW, checks)).toMatchObject({
      kind: "reject",
      source: "risk",
      step: "whitelist",
      reason: expect.stringMatching(
        /^unsupported_quote_asset: ETHBTC is quoted in BTC; .*USD_QUOTE_ASSETS=USDT,USDC/,
      ),
    });
    expect(run(req({ symbol: "ETHUSDC" }))).toMatchObject({ kind: "execute" });
    // Held anyway (adopted, or from before): it can still be closed.
    const held: PortfolioView = {
      ...empty,
      positions: new Map([["ETHBTC", { quantity: 200, avgPrice: 0.05 }]]),
    };
    expect(decide(req({ symbol: "ETHBTC", action: "CLOSE" }), ethBtc, held, cfg, NOW, [])).toMatchObject({
      kind: "execute",
      side: "SELL",
      quantity: "200",
    });
  });
});

describe("sizing on the real exchangeInfo files (F24)", () => {
  const spot2022 = filters("spot_exchangeInfo_2022-11-28_BTCUSDT_ETHUSDT_trimmed_MIN_NOTIONAL_era.json");
  const withFilters = (r: OrderRequest, f: typeof spot2024) => decide(r, quote, empty, cfg, NOW, [], f);

  it("rounds down to LOT_SIZE and checks MIN_NOTIONAL after rounding, per exchange era", () => {
    // $100 at 30,001 = 0.003333... BTC → 0.00333 with step 0.00001.
    expect(withFilters(req(), spot2024)).toMatchObject({ kind: "execute", quantity: "0.00333" });
    // $9.99: above NOTIONAL 5 (2024) but below MIN_NOTIONAL 10 (2022): rejected, never rounded up.
    expect(withFilters(req({ positionSizeUsd: 9.99 }), spot2024)).toMatchObject({
      kind: "execute",
      quantity: "0.00033",
    });
    expect(withFilters(req({ positionSizeUsd: 9.99 }), spot2022)).toMatchObject({
      kind: "reject",
      source: "sizing",
      reason:
        "below_min_notional: 0.00033 x 30001 = 9.90033 < 10 after rounding quantity 0.00033298890036998765 down to 0.00033",
    });
  });

  it("a USD-M close goes reduce-only, which Binance exempts from the notional minimum; an entry is not", () => {
    const futures = filters("futures_fapi_exchangeInfo_2022-05-04_BTCUSDT_ETHUSDT_trimmed.json");
    const testnet = parseConfig("test", ConfigSchema, {
      TRADING_MODE: "testnet",
      BINANCE_MARKET: "futures",
      BINANCE_API_KEY: "k",
      BINANCE_API_SECRET: "s",
    });
    const eth: Quote = { bid: 3_000, ask: 3_000.1, at: NOW - 100 };
    // 0.001 ETH at 3,000 is $3, under the $5 minimum: the position can still be closed.
    const small: PortfolioView = {
      ...empty,
      positions: new Map([["ETHUSDT", { quantity: 0.001, avgPrice: 3_500 }]]),
    };
    const on = (r: OrderRequest, c = testnet) => decide(r, eth, small, c, NOW, [], futures);
    expect(on(req({ symbol: "ETHUSDT", action: "CLOSE" }))).toMatchObject({
      kind: "execute",
      quantity: "0.001",
      closing: true,
    });
    expect(on(req({ symbol: "ETHUSDT", action: "SELL", quantity: 0.001 }))).toMatchObject({
      kind: "execute",
      closing: true,
    });
    expect(on(req({ symbol: "ETHUSDT", action: "BUY", quantity: 0.001 }))).toMatchObject({
      kind: "reject",
      reason: expect.stringMatching(/^below_min_notional: 0\.001 x 3000\.1/),
    });
    // Spot has no such exemption: $3.50 of ETH is dust there.
    expect(
      decide(req({ symbol: "ETHUSDT", action: "CLOSE" }), eth, small, cfg, NOW, [], spot2024),
    ).toMatchObject({
      kind: "reject",
      reason: expect.stringContaining("no_position: only dust is left on ETHUSDT (0.001,"),
    });
  });

  it("dust (under minQty once rounded to the step) is not an open position and cannot be closed", () => {
    const dusty: PortfolioView = {
      ...empty,
      positions: new Map([["BTCUSDT", { quantity: 0.00000877, avgPrice: 30_000 }]]),
    };
    expect(decide(req({ action: "CLOSE" }), quote, dusty, cfg, NOW, [], spot2024)).toMatchObject({
      kind: "reject",
      reason: "no_position: only dust is left on BTCUSDT (0.00000877, under what the exchange trades)",
    });
    const one = { ...cfg, MAX_OPEN_POSITIONS: 1 };
    expect(decide(req({ symbol: "ETHUSDT" }), quote, dusty, one, NOW, [], spot2024)).toMatchObject({
      kind: "execute",
    });
  });

  it("with the paper stand-ins a CLOSE sells exactly what is held, whatever the step at today's price", () => {
    // Bought at 30,000 (step 0.00001); after a crash to 9,000 the stand-in step is 0.0001.
    const long: PortfolioView = {
      ...empty,
      positions: new Map([["BTCUSDT", { quantity: 0.01233, avgPrice: 30_000 }]]),
    };
    const crashed: Quote = { bid: 9_000, ask: 9_001, at: NOW - 100 };
    expect(run(req({ action: "CLOSE" }), long, crashed)).toMatchObject({
      kind: "execute",
      quantity: "0.01233",
    });
  });

  it("rejects a symbol the exchange does not list", () => {
    expect(withFilters(req({ symbol: "DOGEUSDT" }), spot2024)).toMatchObject({
      kind: "reject",
      source: "validation",
      reason: "unknown_symbol: DOGEUSDT is not in exchangeInfo",
    });
  });
});

describe("LIMIT orders", () => {
  const limit = (price: number) => req({ orderType: "LIMIT", limitPrice: price });

  it("sizes at the limit price, on the exchange's tick when its filters are known", () => {
    // $100 at 25,000.004 (not at the 30,001 ask) is 0.0039999 BTC, rounded DOWN to 0.00399; the
    // price snaps to the 0.01 tick.
    expect(decide(limit(25_000.004), quote, empty, cfg, NOW, [], spot2024)).toMatchObject({
      kind: "execute",
      quantity: "0.00399",
      limitPrice: "25000",
      refPrice: 25_000.004,
    });
    expect(run(limit(25_000))).toMatchObject({ kind: "execute", quantity: "0.00400", limitPrice: "25000" });
  });

  it("rounds a limit to the tick within it: a BUY never pays above its limit, a SELL never sells below it", () => {
    expect(decide(limit(25_000.006), quote, empty, cfg, NOW, [], spot2024)).toMatchObject({
      kind: "execute",
      limitPrice: "25000",
    });
    const sell = req({ action: "SELL", orderType: "LIMIT", limitPrice: 35_000.004 });
    expect(decide(sell, quote, empty, cfg, NOW, [], spot2024)).toMatchObject({
      kind: "execute",
      limitPrice: "35000.01",
    });
  });

  it("a LIMIT outside the exchange's PERCENT_PRICE band around the market is refused before it is sent", () => {
    const far = req({ action: "SELL", orderType: "LIMIT", limitPrice: 5_000 });
    expect(decide(far, quote, empty, cfg, NOW, [], spot2024)).toMatchObject({
      kind: "reject",
      source: "sizing",
      reason: expect.stringMatching(/^price_too_far_from_market: 5000 is outside 6000\.10 to 150002\.50 /),
    });
    const near = req({ action: "SELL", orderType: "LIMIT", limitPrice: 6_100 });
    expect(decide(near, quote, empty, cfg, NOW, [], spot2024)).toMatchObject({ kind: "execute" });
  });

  it("sizes a marketable LIMIT at the touch it fills at, not at a limit far through it", () => {
    // A sell limit at 3,000 with the bid at 30,000 fills at the bid: $100 is 0.0033 BTC (the paper
    // step for a 3,000 price), not 0.0333.
    expect(run(req({ action: "SELL", orderType: "LIMIT", limitPrice: 3_000 }))).toMatchObject({
      kind: "execute",
      quantity: "0.0033",
      limitPrice: "3000",
      refPrice: 30_000,
    });
    const notional = run(req({ action: "SELL", orderType: "LIMIT", limitPrice: 10, quantity: 1 }));
    expect(notional).toMatchObject({
      kind: "reject",
      reason: "position_notional_above_maximum: 30000.00 > 1000",
    });
    // A buy limit above the ask fills at the ask.
    expect(run(req({ orderType: "LIMIT", limitPrice: 40_000 }))).toMatchObject({
      refPrice: 30_001,
      quantity: "0.00333",
    });
  });

  it("passes a LIMIT on in any mode with its time in force, GTC when none is given", () => {
    for (const mode of ["paper", "testnet", "live"] as const)
      for (const timeInForce of ["IOC", "FOK", "GTC"] as const)
        expect(
          run(req({ orderType: "LIMIT", limitPrice: 29_000, timeInForce }), empty, quote, {
            ...cfg,
            TRADING_MODE: mode,
          }),
        ).toMatchObject({ kind: "execute", limitPrice: "29000", timeInForce });
    expect(run(limit(29_000))).toMatchObject({ kind: "execute", timeInForce: "GTC" });
  });

  it("counts resting entries toward the open-position and exposure limits", () => {
    const view = { ...empty, restingEntries: new Map([["ETHUSDT", 9_950]]) };
    expect(run(req(), view)).toMatchObject({
      kind: "reject",
      reason: expect.stringMatching(/^portfolio_exposure_above_maximum: 10049\.\d+ > 10000/),
    });
    const one = { ...cfg, MAX_OPEN_POSITIONS: 1 };
    expect(run(req(), { ...empty, restingEntries: new Map([["ETHUSDT", 50]]) }, quote, one)).toMatchObject({
      kind: "reject",
      reason: "max_open_positions: 1 open (max 1)",
    });
  });
});

describe("orders against the position: a reduce is a close, a flip is an entry", () => {
  const long = (over: Partial<PortfolioView> = {}): PortfolioView => ({
    ...empty,
    positions: new Map([["BTCUSDT", { quantity: 0.01, avgPrice: 29_000 }]]),
    ...over,
  });

  it("a SELL no larger than the long reduces it like a CLOSE: allowed under the kill switch, reduce-only", () => {
    const checks: Check[] = [];
    decide(req({ action: "SELL", quantity: 0.005 }), quote, long({ killSwitch: true }), cfg, NOW, checks);
    expect(checks.find((c) => c.step === "entry_checks")?.detail).toBe(
      "SELL 0.00500 reduces 0.01: kill switch, whitelist, confidence and cooldown do not apply",
    );
    expect(
      run(req({ action: "SELL", quantity: 0.005, confidence: 0.1 }), long({ killSwitch: true })),
    ).toMatchObject({
      kind: "execute",
      side: "SELL",
      quantity: "0.00500",
      closing: true,
    });
  });

  it("a SELL larger than the long flips it: the kill switch, confidence and every limit apply to what it opens", () => {
    expect(run(req({ action: "SELL", quantity: 1 }), long({ killSwitch: true }))).toMatchObject({
      kind: "reject",
      step: "kill_switch",
      reason: "kill_switch_active: new entries are blocked",
    });
    expect(run(req({ action: "SELL", quantity: 0.04, confidence: 0.1 }), long())).toMatchObject({
      kind: "reject",
      reason: "confidence_below_minimum: 0.1 < 0.6",
    });
    expect(run(req({ action: "SELL", quantity: 0.04, leverage: 125 }), long())).toMatchObject({
      reason: "leverage_above_maximum: 125 > 10",
    });
    // 0.05 against 0.01 opens a 0.04 short: $1,200 at the bid, over the $1,000 per position.
    expect(run(req({ action: "SELL", quantity: 0.05 }), long())).toMatchObject({
      kind: "reject",
      reason: "position_notional_above_maximum: 1200.00 > 1000",
    });
    const checks: Check[] = [];
    expect(decide(req({ action: "SELL", quantity: 0.04 }), quote, long(), cfg, NOW, checks)).toMatchObject({
      kind: "execute",
      side: "SELL",
      quantity: "0.04000",
      closing: false,
    });
    expect(checks.find((c) => c.step === "flip")?.detail).toBe(
      "SELL 0.04000 against 0.01: closes it and opens 0.03",
    );
    // The entry checks of a flip come after sizing, which tells it from a reduce.
    expect(checks.map((c) => c.step)).toEqual([
      "stale",
      "price",
      "sizing",
      "flip",
      "kill_switch",
      "whitelist",
      "confidence",
      "cooldown",
      "risk",
    ]);
  });

  it("F24 a SELL a step larger than the long, whose new short the exchange would not trade (under MIN_NOTIONAL), closes the long instead of leaving a short no order can close", () => {
    // Seen in `pnpm start`: a long of 0.0493 ETH, a SELL sized 0.0494 by position_size_usd, a
    // $0.20 short left whose stop then fired and was refused below_min_notional over and over.
    const eth = { bid: 2022.85, ask: 2022.86, at: NOW - 100 };
    const longEth: PortfolioView = {
      ...empty,
      positions: new Map([["ETHUSDT", { quantity: 0.0493, avgPrice: 2020 }]]),
    };
    const checks: Check[] = [];
    expect(
      decide(req({ symbol: "ETHUSDT", action: "SELL", quantity: 0.0494 }), eth, longEth, cfg, NOW, checks),
    ).toMatchObject({ kind: "execute", side: "SELL", quantity: "0.0493", closing: true });
    expect(checks.find((c) => c.step === "flip")?.detail).toBe(
      "SELL 0.0494 against 0.0493 would open 0.0001, which the exchange would not trade (below_min_notional: 0.0001 x 2022.85 = 0.20 < 5 after rounding down to the step): closes the 0.0493 held instead",
    );
    // Reduce-only from there: the entry checks do not apply to it.
    expect(checks.map((c) => c.step)).not.toContain("kill_switch");
    // On USD-M too, where the close goes reduce-only.
    const onFutures = { ...cfg, TRADING_MODE: "testnet" as const, BINANCE_MARKET: "futures" as const };
    expect(
      decide(req({ symbol: "ETHUSDT", action: "SELL", quantity: 0.0494 }), eth, longEth, onFutures, NOW, []),
    ).toMatchObject({ kind: "execute", quantity: "0.0493", closing: true });
    // A flip whose new side is tradable still flips.
    expect(run(req({ symbol: "ETHUSDT", action: "SELL", quantity: 0.06 }), longEth, eth)).toMatchObject({
      kind: "execute",
      quantity: "0.0600",
      closing: false,
    });
  });

  it("a close is allowed for a symbol no longer whitelisted; an entry is not", () => {
    const wl = parseConfig("test", ConfigSchema, { SYMBOL_WHITELIST: "ETHUSDT" });
    expect(run(req({ action: "CLOSE" }), long(), quote, wl)).toMatchObject({
      kind: "execute",
      closing: true,
    });
    expect(run(req({ action: "BUY" }), long(), quote, wl)).toMatchObject({
      reason: "symbol_not_whitelisted: BTCUSDT",
    });
  });
});

describe("what the account can hold and size from", () => {
  const onExchange = (market: "spot" | "futures") => ({
    ...cfg,
    TRADING_MODE: "testnet" as const,
    BINANCE_MARKET: market,
  });
  const long = (quantity: number): PortfolioView => ({
    ...empty,
    positions: new Map([["BTCUSDT", { quantity, avgPrice: 29_000 }]]),
  });

  it("spot cannot go short: a SELL from flat or beyond the long is refused on an exchange, never sold out of assets the engine did not buy", () => {
    const spot = onExchange("spot");
    expect(run(req({ action: "SELL", quantity: 0.01 }), empty, quote, spot)).toMatchObject({
      kind: "reject",
      source: "validation",
      step: "spot_short",
      reason:
        "spot_short_not_allowed: SELL 0.01000 BTCUSDT is more than the 0 held; spot cannot go short (a close sells what is held; BINANCE_MARKET=futures can go short)",
    });
    expect(run(req({ action: "SELL", quantity: 0.02 }), long(0.01), quote, spot)).toMatchObject({
      step: "spot_short",
    });
    // Up to the long it is a reduce; a CLOSE sells what is held.
    expect(run(req({ action: "SELL", quantity: 0.01 }), long(0.01), quote, spot)).toMatchObject({
      kind: "execute",
      closing: true,
    });
    expect(run(req({ action: "CLOSE" }), long(0.01), quote, spot)).toMatchObject({ kind: "execute" });
    // The 0.01 bought, less a commission taken in BTC, is 0.00999 held: a SELL of 0.01 sells that.
    expect(run(req({ action: "SELL", quantity: 0.01 }), long(0.00999), quote, spot)).toMatchObject({
      kind: "execute",
      quantity: "0.00999",
      closing: true,
    });
    expect(run(req({ action: "SELL", quantity: 0.0101 }), long(0.00999), quote, spot)).toMatchObject({
      step: "spot_short",
    });
    // Leverage on spot would be ignored: an entry asking for it is refused; a reduce passes.
    expect(run(req({ leverage: 3 }), empty, quote, spot)).toMatchObject({
      kind: "reject",
      reason: expect.stringMatching(/^leverage_unsupported_on_spot: 3x asked/),
    });
    expect(run(req({ action: "SELL", quantity: 0.005, leverage: 3 }), long(0.01), quote, spot)).toMatchObject(
      {
        kind: "execute",
      },
    );
    expect(run(req({ leverage: 3 }), empty, quote, onExchange("futures"))).toMatchObject({ kind: "execute" });
    // USD-M futures, and the paper account, go short.
    expect(run(req({ action: "SELL", quantity: 0.01 }), empty, quote, onExchange("futures"))).toMatchObject({
      kind: "execute",
      side: "SELL",
    });
    expect(run(req({ action: "SELL", quantity: 0.01 }))).toMatchObject({ kind: "execute", side: "SELL" });
  });

  it("position_size_pct is a fraction of the account's equity; while it is not known it is refused, not sized on a made-up number", () => {
    // 10% of an account down to $5,000 is $500: 0.01666 BTC at the 30,001 ask, not 10% of the $10,000 it started with.
    const drawn: PortfolioView = { ...empty, equity: () => ({ usd: 5_000 }) };
    expect(run(req({ positionSizePct: 0.1 }), drawn)).toMatchObject({ kind: "execute", quantity: "0.01666" });
    const unread: PortfolioView = {
      ...empty,
      equity: () => ({ unknown: "the account has not been read yet" }),
    };
    expect(run(req({ positionSizePct: 0.1 }), unread, quote, onExchange("futures"))).toMatchObject({
      kind: "reject",
      source: "sizing",
      step: "sizing",
      reason:
        "account_equity_unknown: position_size_pct 0.1 is a fraction of the account's equity, and the account has not been read yet; send quantity, quote_quantity or position_size_usd",
    });
    // Anything more explicit sizes it, on an exchange too.
    expect(
      run(req({ positionSizePct: 0.1, positionSizeUsd: 100 }), unread, quote, onExchange("futures")),
    ).toMatchObject({ kind: "execute" });
  });

  it("the per-position limit counts what is held the same way plus what the order opens", () => {
    // $900 held (0.03, valued at the 30,001 ask the order fills at) and $200 more: over $1,000.
    const held = long(0.03);
    expect(run(req({ positionSizeUsd: 200 }), held)).toMatchObject({
      kind: "reject",
      reason: expect.stringMatching(/^position_notional_above_maximum: 1099\.\d\d > 1000$/),
    });
    expect(run(req({ positionSizeUsd: 50 }), held)).toMatchObject({ kind: "execute" });
  });
});

describe("signal times", () => {
  it("rejects a time ahead of the engine's clock beyond the allowed skew (F14: it would never go stale)", () => {
    expect(run(req({ timestampMs: NOW + 60_000 }))).toMatchObject({
      kind: "reject",
      source: "validation",
      reason: "future_signal: 60 s ahead of the engine's clock (max 10)",
    });
    // Microseconds read as milliseconds: thousands of years ahead.
    expect(run(req({ timestampMs: 1_700_000_000_000_000 }))).toMatchObject({
      reason: expect.stringContaining("future_signal"),
    });
    expect(run(req({ timestampMs: NOW + 5_000 }))).toMatchObject({ kind: "execute" });
  });
});

describe("decision pipeline", () => {
  it("sizes the default position and rounds the quantity down to the step (F24)", () => {
    const d = run(req());
    expect(d).toMatchObject({ kind: "execute", side: "BUY", quantity: "0.00333" });
  });

  it("rejects each rule with its documented reason", () => {
    expect(run(req({ timestampMs: NOW - 301_000 }))).toMatchObject({
      kind: "reject",
      reason: expect.stringContaining("stale_signal"),
    });
    expect(run(req({ confidence: 0.5 }))).toMatchObject({
      reason: expect.stringContaining("confidence_below_minimum"),
    });
    expect(run(req(), empty, null)).toMatchObject({
      source: "paper",
      reason: expect.stringContaining("no_recent_price"),
    });
    expect(run(req(), empty, { ...quote, at: NOW - 60_000 })).toMatchObject({
      reason: expect.stringContaining("no_recent_price"),
    });
    expect(run(req({ leverage: 20 }))).toMatchObject({
      reason: expect.stringContaining("leverage_above_maximum"),
    });
    expect(run(req({ positionSizeUsd: 5_000 }))).toMatchObject({
      reason: expect.stringContaining("position_notional_above_maximum"),
    });
    expect(run(req({ positionSizeUsd: 3 }))).toMatchObject({
      source: "sizing",
      reason: expect.stringContaining("below_min_notional"),
    });
    const wl = parseConfig("test", ConfigSchema, { SYMBOL_WHITELIST: "ETHUSDT" });
    expect(run(req(), empty, quote, wl)).toMatchObject({
      reason: expect.stringContaining("symbol_not_whitelisted"),
    });
    const cooled: PortfolioView = {
      ...empty,
      lastExecution: new Map([["orderbook_skew|BTCUSDT", NOW - 10_000]]),
    };
    expect(run(req(), cooled)).toMatchObject({
      reason: "cooldown_active: 50 s left for orderbook_skew on BTCUSDT",
    });
    // Under a second left still says 1 s, never "0 s left".
    const almost: PortfolioView = {
      ...empty,
      lastExecution: new Map([["orderbook_skew|BTCUSDT", NOW - 59_700]]),
    };
    expect(run(req(), almost)).toMatchObject({ reason: expect.stringMatching(/^cooldown_active: 1 s left/) });
    const lossy: PortfolioView = { ...empty, dailyRealizedPnl: -600 };
    expect(run(req(), lossy)).toMatchObject({ reason: expect.stringContaining("daily_loss_limit_reached") });
    const full: PortfolioView = {
      ...empty,
      positions: new Map(
        Array.from({ length: 10 }, (_, i) => [`S${i}USDT`, { quantity: 1, avgPrice: 10 }] as const),
      ),
    };
    expect(run(req(), full)).toMatchObject({ reason: expect.stringContaining("max_open_positions") });
  });

  it("the daily loss limit counts what open positions are under water now, not their gains", () => {
    // $300 realized today, and a long of 0.1 bought at 30,000 now marked at 27,000: $300 more under water.
    const sinking: PortfolioView = {
      ...empty,
      dailyRealizedPnl: -300,
      positions: new Map([["ETHUSDT", { quantity: 0.1, avgPrice: 30_000 }]]),
      markOf: (symbol) => (symbol === "ETHUSDT" ? 27_000 : undefined),
    };
    expect(run(req(), sinking)).toMatchObject({
      kind: "reject",
      source: "risk",
      step: "daily_loss",
      reason:
        "daily_loss_limit_reached: -600.00 (realized today -300.00, open positions under water -300.00; limit -500)",
    });
    // A short under water counts the same way; a gain elsewhere offsets nothing.
    const mixed: PortfolioView = {
      ...sinking,
      positions: new Map([
        ["ETHUSDT", { quantity: -0.1, avgPrice: 27_000 }],
        ["SOLUSDT", { quantity: 10, avgPrice: 10 }],
      ]),
      markOf: (symbol) => (symbol === "ETHUSDT" ? 30_000 : symbol === "SOLUSDT" ? 50 : undefined),
    };
    expect(run(req(), mixed)).toMatchObject({ kind: "reject", step: "daily_loss" });
    // A feed gone quiet does not hide the loss: the last mid counts, however old.
    expect(run(req(), { ...sinking, markOf: () => undefined, lastMidOf: () => 27_000 })).toMatchObject({
      step: "daily_loss",
    });
    // With no price at all a position counts no loss; nor does one with no entry price (found by
    // reconciliation with no quote), whose whole value would read as lost.
    expect(run(req(), { ...sinking, markOf: () => undefined })).toMatchObject({ kind: "execute" });
    const priceless: PortfolioView = {
      ...sinking,
      positions: new Map([["ETHUSDT", { quantity: -0.01, avgPrice: 0 }]]),
    };
    expect(run(req(), priceless)).toMatchObject({ kind: "execute" });
    // A close is never held back by the limit.
    expect(run(req({ action: "CLOSE", symbol: "ETHUSDT" }), sinking)).toMatchObject({ kind: "execute" });
  });

  it("values open positions at their live mark for the exposure limit, at their entry price without one", () => {
    // 3 ETH bought at 2,000 ($6,000 then) is $8,970 at 2,990: with $100 more, over $9,050.
    const view: PortfolioView = {
      ...empty,
      positions: new Map([["ETHUSDT", { quantity: 3, avgPrice: 2_000 }]]),
      markOf: (symbol) => (symbol === "ETHUSDT" ? 2_990 : undefined),
    };
    const tight = { ...cfg, MAX_PORTFOLIO_EXPOSURE: 9_050 };
    expect(run(req(), view, quote, tight)).toMatchObject({
      kind: "reject",
      reason: expect.stringMatching(/^portfolio_exposure_above_maximum: 9069\.\d+ > 9050/),
    });
    expect(run(req(), { ...view, markOf: undefined }, quote, tight)).toMatchObject({ kind: "execute" });
  });

  it("records hold without executing", () => {
    expect(run(req({ action: "HOLD" }))).toEqual({ kind: "hold" });
  });

  it("kill switch blocks entries but allows closes", () => {
    const long: PortfolioView = {
      ...empty,
      killSwitch: true,
      positions: new Map([["BTCUSDT", { quantity: 0.01, avgPrice: 29_000 }]]),
    };
    expect(run(req(), long)).toMatchObject({
      kind: "reject",
      reason: expect.stringContaining("kill_switch_active"),
    });
    expect(run(req({ action: "CLOSE" }), long)).toMatchObject({
      kind: "execute",
      side: "SELL",
      quantity: "0.01",
      closing: true,
    });
  });

  it("rejects a close with no position", () => {
    expect(run(req({ action: "CLOSE" }))).toMatchObject({
      kind: "reject",
      reason: expect.stringContaining("no_position"),
    });
  });
});

describe("position accounting", () => {
  it("averages entries and realizes PnL on exits, net of fees", () => {
    const start = { quantity: 0, avgPrice: 0, realizedPnl: 0 };
    const a = applyFill(start, "BUY", 1, 100, 0.1);
    const b = applyFill(a.position, "BUY", 1, 110, 0.1);
    expect(b.position.avgPrice).toBeCloseTo(105);
    const c = applyFill(b.position, "SELL", 2, 120, 0.2);
    expect(c.position.quantity).toBe(0);
    expect(c.realized).toBeCloseTo(30 - 0.2);
  });

  it("keeps the books at 8 decimals: no float noise accumulates in realized PnL", () => {
    // Unrounded, this round trip leaves realizedPnl at -1.5691000000000002.
    const entry = applyFill({ quantity: 0, avgPrice: 0, realizedPnl: 0 }, "BUY", 0.01, 30003.5, 0.300035);
    const exit = applyFill(entry.position, "SELL", 0.01, 29906.5, 0.299065);
    expect(exit.position.realizedPnl).toBe(-1.5691);
    expect(exit.realized).toBe(-1.269065);
    let position = exit.position;
    for (let i = 1; i <= 50; i++) {
      position = applyFill(position, "BUY", 0.003, 30000 + i * 0.7, 0.09).position;
      position = applyFill(position, "SELL", 0.003, 30001 + i * 1.3, 0.09).position;
      expect(round8(position.realizedPnl)).toBe(position.realizedPnl);
      expect(position.quantity).toBe(0);
    }
  });
});
