import { createSilentLogger } from "@tradewire/logger";
import { type FakeBinanceRest, startFakeBinanceRest } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FuturesOrders } from "../src/futures-orders.js";
import { WeightRateLimiter } from "../src/rate-limiter.js";
import { BinanceRest } from "../src/rest.js";
import { SpotOrders } from "../src/spot-orders.js";

const silent = createSilentLogger();
let fake: FakeBinanceRest;
let rest: BinanceRest;

beforeEach(async () => {
  const venue = {
    apiKey: "k",
    apiSecret: "s",
    price: (s: string) => (s === "BNBUSDT" ? "612.5" : undefined),
  };
  fake = await startFakeBinanceRest({ series: {}, exchange: venue, futures: venue });
  rest = new BinanceRest({
    baseUrl: fake.url,
    limiter: new WeightRateLimiter({ limitPerMinute: 6000, share: 1, logger: silent }),
    logger: silent,
  });
});
afterEach(() => fake.close());

describe("last price (public ticker) against the fake Binance", () => {
  it("spot and USD-M answer a listed symbol's last price, and undefined for one they do not list", async () => {
    for (const orders of [new SpotOrders(rest), new FuturesOrders(rest)]) {
      expect(await orders.lastPrice("BNBUSDT")).toBe("612.5");
      expect(await orders.lastPrice("NOPEUSDT")).toBeUndefined();
    }
    // Public: no key, no signature.
    const asked = fake.requests.filter((r) => r.path.endsWith("/ticker/price"));
    expect(asked.map((r) => [r.path, r.status])).toEqual([
      ["/api/v3/ticker/price", 200],
      ["/api/v3/ticker/price", 400],
      ["/fapi/v1/ticker/price", 200],
      ["/fapi/v1/ticker/price", 400],
    ]);
    expect(asked.every((r) => r.query.signature === undefined)).toBe(true);
  });
});
