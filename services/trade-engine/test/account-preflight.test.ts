import type { FakeBinanceRest } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { environment, fakeBinance, testnetSettings } from "./harness.js";

let env: Awaited<ReturnType<typeof environment>>;
let fake: FakeBinanceRest;

beforeEach(async () => {
  env = await environment();
  fake = await fakeBinance(() => "30000");
});
afterEach(async () => {
  await env.cleanup();
  await fake.close();
});

const start = (market: "spot" | "futures") =>
  env.start(testnetSettings(fake.url, { BINANCE_MARKET: market }));

describe("the exchange account is checked before the engine trades on it", () => {
  it("F30 refuses a hedge-mode futures account, naming the setting and how to change it", async () => {
    if (fake.futures === undefined) throw new Error("fake futures missing");
    fake.futures.dualSidePosition = true;
    await expect(start("futures")).rejects.toThrow(
      /hedge mode \(dualSidePosition=true\).*one-way.*POST \/fapi\/v1\/positionSide\/dual/,
    );
    await expect(start("futures")).rejects.toMatchObject({ name: "AccountNotTradable" });
    expect(fake.futures.orders).toEqual([]);

    fake.futures.dualSidePosition = false;
    const engine = await start("futures");
    expect(engine.cap.find("exchange account checked: it can trade as configured")).toEqual([
      expect.objectContaining({ market: "futures" }),
    ]);
  });

  it("refuses a spot API key without trading permission", async () => {
    if (fake.exchange === undefined) throw new Error("fake exchange missing");
    fake.exchange.canTrade = false;
    await expect(start("spot")).rejects.toThrow(/may not trade spot \(canTrade=false/);
    fake.exchange.canTrade = true;
    const engine = await start("spot");
    expect(engine.cap.find("exchange account checked: it can trade as configured")).toEqual([
      expect.objectContaining({ market: "spot" }),
    ]);
    // Stopped right after its start, while its consumers bind: every task stops in time (F38).
    await engine.stop("test");
    expect(engine.cap.find("task did not stop in time")).toEqual([]);
  });

  it("says which account it could not check when the exchange cannot be reached", async () => {
    const unreachable = env.start(testnetSettings("http://127.0.0.1:1", { BINANCE_MARKET: "futures" }));
    await expect(unreachable).rejects.toThrow(
      "cannot check the futures account on http://127.0.0.1:1 before trading",
    );
    await expect(unreachable).rejects.toMatchObject({ cause: { name: "BinanceError" } });
  });
});
