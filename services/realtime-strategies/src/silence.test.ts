import { describe, expect, it } from "vitest";
import { kindsRead, silentKinds } from "./silence.js";
import { buildStrategies, StrategyParams } from "./strategies/registry.js";
import { SymbolState } from "./symbol-state.js";

describe("silent kinds of market data (F39)", () => {
  const strategies = buildStrategies(
    ["orderbook_skew", "trade_momentum", "ema_pullback_continuation"],
    StrategyParams.parse({}),
  );
  const read = kindsRead(strategies);

  it("maps each kind the strategies read to the strategies reading it", () => {
    expect(read).toEqual(
      new Map([
        ["depth20", ["orderbook_skew"]],
        ["trade", ["trade_momentum"]],
        ["kline", ["ema_pullback_continuation"]],
      ]),
    );
  });

  it("names a kind that stopped while the others come, and one that never came", () => {
    const state = new SymbolState("BTCUSDT");
    const now = 1_000_000;
    state.lastKindAt.set("depth20", now - 45_000);
    state.lastKindAt.set("trade", now - 100);
    expect(silentKinds(state, read, now, 30_000)).toEqual([
      { kind: "depth20", silentForS: 45, strategies: ["orderbook_skew"] },
      { kind: "kline", silentForS: "never", strategies: ["ema_pullback_continuation"] },
    ]);
    state.lastKindAt.set("depth20", now - 1_000);
    state.lastKindAt.set("kline", now - 2_000);
    expect(silentKinds(state, read, now, 30_000)).toEqual([]);
  });
});
