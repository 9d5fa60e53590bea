import { waitFor } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { exchangeSuite, testnetSettings } from "./harness.js";

const t = exchangeSuite();

describe("a flip of a position guarded on the exchange (F25)", () => {
  it("futures: a SELL larger than the long whose stop already executed records that exit first, then opens the short it was checked as", async () => {
    // Neither the stream nor the poll tells the engine of the stop before the flip arrives.
    const engine = await t.env.start(
      testnetSettings(t.fake.url, {
        BINANCE_MARKET: "futures",
        USER_STREAM: "false",
        PROTECTION_POLL_S: "600",
      }),
    );
    await t.env.quote("BTCUSDT", 30_000);
    await t.env.signal("flip", { quantity: 0.01, stop_loss: 29_000, take_profit: 31_000 });
    await waitFor("protection set", () => engine.cap.find("protection set").length > 0, 10_000);
    // The market falls through the stop: it executes on the exchange, and the long is gone there.
    t.price.BTCUSDT = "28900";
    expect(t.fake.futures?.trigger("BTCUSDT").map((o) => o.orderType)).toEqual(["STOP_MARKET"]);
    await t.env.quote("BTCUSDT", 28_900);
    await t.env.signal("flip-short", { action: "sell", quantity: 0.02 });
    await t.env.waitEvent("flip-short", "filled");
    // The stop is recorded as the long's exit, and the flip opened the whole short from flat.
    const exits = (await t.env.orderEvents()).filter((e) => e.signal_id.startsWith("flip:stop_loss"));
    expect(exits.map((e) => e.event)).toContain("filled");
    const held = t.fake.futures?.positions.get("BTCUSDT")?.amt;
    expect(held).toBeCloseTo(-0.02, 9);
    await waitFor(
      "books match the exchange",
      () => engine.engine.snapshot().positions.BTCUSDT?.quantity === held,
    );
  });
});
