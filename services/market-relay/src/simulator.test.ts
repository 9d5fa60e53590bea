import { MarketData } from "@tradewire/schemas";
import { describe, expect, it } from "vitest";
import { MarketSimulator } from "./simulator.js";

const START = Date.UTC(2026, 0, 1);

function run(seed: number, steps: number) {
  const sim = new MarketSimulator(["BTCUSDT", "ETHUSDT"], seed, START);
  const out: MarketData[] = [];
  for (let i = 0; i < steps; i++) out.push(...sim.step());
  return out;
}

describe("MarketSimulator", () => {
  it("gives the same sequence for the same seed, and another for another seed", () => {
    expect(run(7, 300)).toEqual(run(7, 300));
    expect(JSON.stringify(run(8, 50))).not.toEqual(JSON.stringify(run(7, 50)));
  });

  it("emits messages that pass the schemas", () => {
    for (const m of run(1, 500)) expect(MarketData.safeParse(m).success).toBe(true);
  });

  it("never crosses the book, keeps the spread positive and levels ordered", () => {
    for (const m of run(3, 2000)) {
      if (m.kind !== "depth20") continue;
      const bids = m.bids.map(([p]) => Number(p));
      const asks = m.asks.map(([p]) => Number(p));
      expect(asks[0]).toBeGreaterThan(bids[0] ?? Number.POSITIVE_INFINITY);
      for (let i = 1; i < bids.length; i++) expect(bids[i]).toBeLessThan(bids[i - 1] ?? 0);
      for (let i = 1; i < asks.length; i++) expect(asks[i]).toBeGreaterThan(asks[i - 1] ?? 0);
    }
  });

  it("builds closed 1m klines whose OHLCV matches the trades of that minute (F42 closed vs forming)", () => {
    const msgs = run(5, 6000); // 6000 steps x 100 ms = 10 simulated minutes
    const closed = msgs.filter((m) => m.kind === "kline" && m.isClosed && m.symbol === "BTCUSDT");
    expect(closed.length).toBeGreaterThanOrEqual(9);
    for (const k of closed) {
      if (k.kind !== "kline") continue;
      const trades = msgs.filter(
        (m) =>
          m.kind === "trade" &&
          m.symbol === "BTCUSDT" &&
          m.tradeTime >= k.openTime &&
          m.tradeTime <= k.closeTime,
      );
      const prices = trades.map((t) => (t.kind === "trade" ? Number(t.price) : 0));
      expect(Number(k.open)).toBeCloseTo(prices[0] ?? 0, 6);
      expect(Number(k.close)).toBeCloseTo(prices.at(-1) ?? 0, 6);
      expect(Number(k.high)).toBeCloseTo(Math.max(...prices), 6);
      expect(Number(k.low)).toBeCloseTo(Math.min(...prices), 6);
      expect(k.trades).toBe(trades.length);
    }
    const forming = msgs.filter((m) => m.kind === "kline" && !m.isClosed);
    expect(forming.length).toBeGreaterThan(0);
  });

  it("leans the book into the coming move (imbalance before trends)", () => {
    const sim = new MarketSimulator(["BTCUSDT"], 11, START);
    let agree = 0;
    let total = 0;
    let lastImbalance = 0;
    let lastMid = 0;
    for (let i = 0; i < 20_000; i++) {
      const depth = sim.step().find((m) => m.kind === "depth20");
      if (depth?.kind !== "depth20") continue;
      const bidQty = depth.bids.reduce((s, [, q]) => s + Number(q), 0);
      const askQty = depth.asks.reduce((s, [, q]) => s + Number(q), 0);
      const mid = (Number(depth.bids[0]?.[0]) + Number(depth.asks[0]?.[0])) / 2;
      if (i > 0 && Math.abs(lastImbalance) > 0.2 && mid !== lastMid) {
        total += 1;
        if (Math.sign(mid - lastMid) === Math.sign(lastImbalance)) agree += 1;
      }
      lastImbalance = (bidQty - askQty) / (bidQty + askQty);
      lastMid = mid;
    }
    expect(agree / total).toBeGreaterThan(0.5);
  });
});
