import type { OrderEvent } from "@tradewire/schemas";
import { waitFor } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { exchangeSuite, metricAt, testnetSettings } from "./harness.js";

const t = exchangeSuite();

const equityGauge = (url: string) => metricAt(url, "tradewire_engine_equity");
const READ = "account holdings read: position_size_pct sizes on their equity";
const filledQuantity = (e: OrderEvent | undefined) =>
  e?.event === "filled" ? Number(e.filled_quantity) : Number.NaN;

describe("position_size_pct: a fraction of the account's equity", () => {
  it("paper: the ledger's equity (PAPER_EQUITY here), the exchange never asked", async () => {
    await t.env.start({ PAPER_EQUITY: "20000" });
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("pct-paper", { position_size_pct: 0.01 });
    const [filled] = await t.env.waitEvent("pct-paper", "filled");
    expect(filledQuantity(filled)).toBeCloseTo(200 / 30_000, 4);
    expect(t.fake.requests).toEqual([]);
  });

  it("spot: the balances valued at the live mids (USDT at 1, BTC at BTCUSDT's mid) size the order", async () => {
    t.fake.exchange?.balances.set("USDT", 4_000);
    t.fake.exchange?.balances.set("BTC", 0.1);
    const engine = await t.env.start(testnetSettings(t.fake.url, { PAPER_EQUITY: "50000" }));
    await t.env.quote("BTCUSDT", 30_000);
    await waitFor("holdings read", () => engine.cap.find(READ).length > 0, 10_000);
    // 4,000 + 0.1 × 30,000.005 is 7,000; the gauge shows the account's equity, not PAPER_EQUITY's.
    expect(await equityGauge(engine.url)).toBeCloseTo(7_000, 2);
    await t.env.signal("pct-spot", { position_size_pct: 0.1 });
    const [filled] = await t.env.waitEvent("pct-spot", "filled");
    // 10% of 7,000 is 700: 0.02333 BTC at 30,000, rounded down to the step.
    expect(filledQuantity(filled)).toBeCloseTo(700 / 30_000, 4);
    expect(t.fake.requests.some((r) => r.method === "GET" && r.path === "/api/v3/account")).toBe(true);
  });

  it("spot: what a resting order locks is still the account's: counted at its asset's price", async () => {
    t.fake.exchange?.balances.set("USDT", 4_000);
    t.fake.exchange?.balances.set("BTC", 0.1);
    const engine = await t.env.start(testnetSettings(t.fake.url, { ACCOUNT_EQUITY_REFRESH_S: "1" }));
    await t.env.quote("BTCUSDT", 30_000);
    // A GTC BUY of 0.01 at 29,000 rests on the exchange, holding 290 USDT.
    await t.env.signal("resting", { order_type: "LIMIT", price: 29_000, quantity: 0.01 });
    await t.env.waitEvent("resting", "placed");
    const reads = () => t.fake.requests.filter((r) => r.path === "/api/v3/account").length;
    const before = reads();
    // The polling task reads one at a time: once a second read started, the first is applied.
    await waitFor("the account read again", () => reads() >= before + 2, 5_000);
    expect(await equityGauge(engine.url)).toBeCloseTo(7_000, 2);
    await t.env.signal("pct-locked", { position_size_pct: 0.1 });
    const [filled] = await t.env.waitEvent("pct-locked", "filled");
    expect(filledQuantity(filled)).toBeCloseTo(700 / 30_000, 4);
  });

  it("F40 a backlog waiting at start is sized on the account, read before the consumers bind, however slow the read", async () => {
    t.fake.exchange?.balances.set("USDT", 3_000);
    await t.env.signal("pct-backlog", { position_size_pct: 0.1 });
    await t.env.quote("BTCUSDT", 30_000);
    // The start's account check and the first read are answered in 1.5 s each.
    t.fake.fail(
      { kind: "slow", delayMs: 1_500, path: "/api/v3/account" },
      { kind: "slow", delayMs: 1_500, path: "/api/v3/account" },
    );
    await t.env.start(testnetSettings(t.fake.url, { SYMBOL_WHITELIST: "BTCUSDT", PRICE_WARMUP_MS: "5000" }));
    const [filled] = await t.env.waitEvent("pct-backlog", "filled");
    expect(filledQuantity(filled)).toBeCloseTo(300 / 30_000, 4);
  });

  it("futures: the margin balance (wallet plus unrealized PnL) sizes the order", async () => {
    const engine = await t.env.start(
      testnetSettings(t.fake.url, {
        BINANCE_MARKET: "futures",
        PAPER_EQUITY: "50000",
        ACCOUNT_EQUITY_REFRESH_S: "1",
        MAX_NOTIONAL_PER_POSITION: "5000",
        MAX_NOTIONAL_PER_SYMBOL: "5000",
      }),
    );
    await t.env.quote("BTCUSDT", 30_000);
    expect(await equityGauge(engine.url)).toBe(10_000);
    // A long of 0.05 opened at the fake's mark (30,010.50), then the mark falls 1,000: the margin
    // balance is the 10,000 USDT wallet less the fee, and 50 under water.
    await t.env.signal("long", { quantity: 0.05 });
    await t.env.waitEvent("long", "filled");
    t.price.BTCUSDT = "29010.50";
    const margin = 10_000 - 0.05 * 30_010.5 * 0.0005 - 50;
    await waitFor(
      "the loss read",
      async () => Math.abs(((await equityGauge(engine.url)) ?? 0) - margin) < 1e-6,
      10_000,
    );
    await t.env.signal("pct-fut", { position_size_pct: 0.05 });
    const [filled] = await t.env.waitEvent("pct-fut", "filled");
    // 5% of it, about 497.46, at the engine's 30,000 quote.
    expect(filledQuantity(filled)).toBeCloseTo((0.05 * margin) / 30_000, 4);
    expect(t.fake.requests.some((r) => r.method === "GET" && r.path === "/fapi/v3/account")).toBe(true);
  });

  it("a read that keeps failing leaves the equity unknown once it is older than it is trusted for: refused, said why", async () => {
    t.fake.exchange?.balances.set("USDT", 4_000);
    const engine = await t.env.start(testnetSettings(t.fake.url, { ACCOUNT_EQUITY_REFRESH_S: "1" }));
    await t.env.quote("BTCUSDT", 30_000);
    await waitFor("holdings read", () => engine.cap.find(READ).length > 0, 10_000);
    t.fake.fail(...Array.from({ length: 200 }, () => ({ kind: 500, path: "/api/v3/account" })));
    await waitFor("the read failing", () => engine.cap.find("account read failed").length > 0, 10_000);
    // Trusted for 3 × 1 s after the last read that went through.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    await t.env.signal("pct-stale", { position_size_pct: 0.1 });
    const [rejected] = await t.env.waitEvent("pct-stale", "rejected");
    expect(rejected).toMatchObject({
      rejection_source: "sizing",
      rejection_reason: expect.stringMatching(
        /^account_equity_unknown: position_size_pct 0\.1 is a fraction of the account's equity, and the account was last read \d+ s ago, more than the 3 s its equity is trusted for/,
      ),
    });
    expect(engine.cap.find("account read failed")[0]).toMatchObject({ level: "error" });
    expect(await metricAt(engine.url, "tradewire_engine_account_read_age_seconds")).toBeGreaterThan(3);
    expect(t.fake.exchange?.orders ?? []).toEqual([]);
  });
});
