import { Bus, type CoreMessage } from "@tradewire/bus";
import { parseConfig } from "@tradewire/config";
import { captureLogger, createSilentLogger } from "@tradewire/logger";
import { MarketData, subjects } from "@tradewire/schemas";
import { natsNamespace, waitFor } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { startRelay } from "../src/app.js";
import { ConfigSchema } from "../src/config.js";

describe("market-relay in simulator mode", () => {
  it("F41 publishes every stream of every configured symbol on its subject, valid against the schema", async () => {
    const ns = await natsNamespace("relay");
    const bus = await Bus.connect({
      servers: ns.url,
      name: "observer",
      logger: createSilentLogger(),
      namespace: ns.namespace,
    });
    const seen: CoreMessage<MarketData>[] = [];
    const trades: string[] = [];
    const abort = new AbortController();
    const counters: Record<string, number> = {};
    const ctx = {
      signal: abort.signal,
      progress: () => {},
      count: (k: string, n = 1) => {
        counters[k] = (counters[k] ?? 0) + n;
      },
    };
    const bySymbol = bus.runSubscription(
      {
        subject: subjects.marketDataForSymbol("ETHUSDT"),
        schema: MarketData,
        schemaName: "MarketData",
        handler: (m) => void seen.push(m),
      },
      ctx,
    );
    const tradeSub = bus.runSubscription(
      {
        subject: "md.binance.*.trade",
        schema: MarketData,
        schemaName: "MarketData",
        handler: (m) => void trades.push(m.data.symbol),
      },
      ctx,
    );
    await bus.nc.flush();

    const cap = captureLogger("market-relay");
    const cfg = parseConfig("test", ConfigSchema, {
      NATS_URL: ns.url,
      TRADEWIRE_NAMESPACE: ns.namespace,
      SYMBOLS: "BTCUSDT,ETHUSDT",
      SIM_SPEED: "100",
      HTTP_PORT: "0",
      SUMMARY_INTERVAL_S: "1",
    });
    const relay = await startRelay(cfg, cap.logger, { handleSignals: false });
    try {
      await waitFor(
        "a closed ETH kline",
        () => seen.some((m) => m.data.kind === "kline" && m.data.isClosed),
        20_000,
      );
      const kinds = new Set(seen.map((m) => m.subject.split(".").slice(3).join(".")));
      expect(kinds).toEqual(new Set(["depth20", "bookTicker", "trade", "kline.1m"]));
      expect(seen.every((m) => m.data.symbol === "ETHUSDT")).toBe(true);
      expect(new Set(trades)).toEqual(new Set(["BTCUSDT", "ETHUSDT"]));
      expect(counters.invalid ?? 0).toBe(0);
      const ready = await fetch(`http://127.0.0.1:${relay.supervisor.httpPort}/ready`);
      expect(ready.status).toBe(200);
      await waitFor("summary line", () => cap.find("market data summary").length > 0, 5_000);
      expect(cap.find("market data summary")[0]).toMatchObject({
        level: "info",
        messagesPerStream: expect.objectContaining({ depth20: expect.any(Number) }),
      });
    } finally {
      await relay.stop("test");
      abort.abort();
      await Promise.all([bySymbol, tradeSub]);
      await bus.drain();
      await ns.cleanup();
    }
  });
});
