import { join } from "node:path";
import { Bus } from "@tradewire/bus";
import { ConfigError, parseConfig } from "@tradewire/config";
import { captureLogger, createSilentLogger } from "@tradewire/logger";
import { MarketData } from "@tradewire/schemas";
import { natsNamespace, sharedDataDir, waitFor } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { startRelay } from "../src/app.js";
import { ConfigSchema } from "../src/config.js";
import { loadCandles } from "../src/replay/candle-file.js";

const FILE = join(
  sharedDataDir(),
  "binance/candles/binance_spot_BTC_USDT-5m_2023-04-05_to_2023-05-05_freqtrade_NO_GAP.json",
);

describe("market-relay replay mode", () => {
  it("replays the candle file as closed klines on NATS, in order, with trades and books around them", async () => {
    const ns = await natsNamespace("replay");
    const bus = await Bus.connect({
      servers: ns.url,
      name: "observer",
      logger: createSilentLogger(),
      namespace: ns.namespace,
    });
    const closed: MarketData[] = [];
    const kinds = new Set<string>();
    bus.nc.subscribe(bus.ns.subject("md.binance.BTCUSDT.>"), {
      callback: (_e, m) => {
        const data = MarketData.parse(m.json());
        kinds.add(data.kind);
        if (data.kind === "kline" && data.isClosed) closed.push(data);
      },
    });
    await bus.nc.flush();
    const cap = captureLogger("market-relay");
    // 5m candles at 30,000x: one candle every 10 ms.
    const relay = await startRelay(
      parseConfig("test", ConfigSchema, {
        NATS_URL: ns.url,
        TRADEWIRE_NAMESPACE: ns.namespace,
        MARKET_SOURCE: "replay",
        REPLAY_FILE: FILE,
        REPLAY_SPEED: "30000",
        HTTP_PORT: "0",
      }),
      cap.logger,
      { handleSignals: false },
    );
    try {
      await waitFor("50 closed klines", () => closed.length >= 50, 15_000);
      const candles = loadCandles(FILE).slice(0, 50);
      expect(closed.slice(0, 50).map((k) => (k.kind === "kline" ? [k.openTime, k.close] : []))).toEqual(
        candles.map((c) => [c.openTime, String(c.close)]),
      );
      expect(kinds).toEqual(new Set(["trade", "kline", "bookTicker", "depth20"]));
      expect(cap.find("replay loaded")[0]).toMatchObject({
        symbol: "BTCUSDT",
        interval: "5m",
        candles: candles.length > 0 ? expect.any(Number) : 0,
      });
    } finally {
      await relay.stop("test");
      await bus.drain();
      await ns.cleanup();
    }
  });

  it("refuses replay without a file, naming the variable", () => {
    expect(() => parseConfig("market-relay", ConfigSchema, { MARKET_SOURCE: "replay" })).toThrow(ConfigError);
    expect(() => parseConfig("market-relay", ConfigSchema, { MARKET_SOURCE: "replay" })).toThrow(
      /REPLAY_FILE.*required when MARKET_SOURCE=replay/,
    );
  });
});
