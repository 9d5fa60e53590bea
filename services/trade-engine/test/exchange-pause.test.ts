import type { OrderEvent, TradingSignalInput } from "@tradewire/schemas";
import { waitFor } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { clientOrderIdFor } from "../src/engine.js";
import { exchangeSuite, testnetSettings } from "./harness.js";

const ORDER_PATH = { spot: "/api/v3/order", futures: "/fapi/v1/order" } as const;

describe.each(["spot", "futures"] as const)(
  "%s orders while Binance pauses this IP's requests (F43)",
  (market) => {
    const t = exchangeSuite({ futures: market === "futures" });
    const start = () =>
      t.env.start(testnetSettings(t.fake.url, { BINANCE_MARKET: market, MAX_SIGNAL_AGE_SECONDS: "60" }));
    /** Every answer the fake gave to an order POST, in order. */
    const orderPosts = () =>
      t.fake.requests
        .filter((r) => r.method === "POST" && r.path === ORDER_PATH[market])
        .map((r) => r.status);

    /** Sends a signal and returns its final order event (filled or rejected) once it is out. */
    async function decided(id: string, extra: Partial<TradingSignalInput> = {}): Promise<OrderEvent> {
      const final = async () =>
        (await t.env.orderEvents()).find(
          (e) => e.signal_id === id && (e.event === "filled" || e.event === "rejected"),
        );
      await t.env.signal(id, { quantity: 0.01, ...extra });
      return waitFor(`${id} decided`, final, 10_000);
    }

    it("F43 an order the exchange would only take after its signal is stale (a 418 ban) is rejected at once and never sent late", async () => {
      const engine = await start();
      await t.env.quote("BTCUSDT", 30_000);
      // The first order earns a ban of 10 minutes: every request waits until it ends.
      t.fake.fail({ kind: 418, retryAfterS: 600, path: ORDER_PATH[market], method: "POST" });
      expect(await decided("banned")).toMatchObject({ event: "rejected", rejection_source: "exchange" });
      const during = await decided("during-ban");
      expect(during).toMatchObject({ event: "rejected", rejection_source: "exchange" });
      expect(during.event === "rejected" && during.rejection_reason).toMatch(
        /^rate_limited: not sent, Binance pauses this IP's requests \(418 IP ban\) until \S+, past the signal's age limit \(\S+\)$/,
      );
      // Only the first order ever reached the exchange.
      expect(orderPosts()).toEqual([418]);
      const said = engine.cap.find(
        "order not sent: the exchange pauses requests past the signal's age limit",
      );
      expect(said[0]).toMatchObject({ level: "warn", clientOrderId: clientOrderIdFor("during-ban") });
    });

    it("F43 a pause that ends within the signal's age limit is waited out: the order goes out then", async () => {
      await start();
      await t.env.quote("BTCUSDT", 30_000);
      t.fake.fail({ kind: 418, retryAfterS: 2, path: ORDER_PATH[market], method: "POST" });
      expect(await decided("banned")).toMatchObject({ event: "rejected" });
      const bannedAt = Date.now();
      const after = await decided("after-ban");
      expect(after.event === "filled" && Number(after.filled_quantity)).toBe(0.01);
      // Sent once the ban was over, not before and not refused.
      expect(Date.now() - bannedAt).toBeGreaterThanOrEqual(1_500);
      expect(orderPosts()).toEqual([418, 200]);
    });
  },
);
