import { captureLogger } from "@tradewire/logger";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { ExchangeProtection } from "./exchange-protection.js";
import { createEngineMetrics } from "./metrics.js";
import type { Protection } from "./protection.js";
import { ProtectionWatch } from "./protection-watch.js";

const guarded = (symbol: string): Protection => ({
  symbol,
  signalId: `${symbol}-entry`,
  strategyId: "s",
  direction: 1,
  stopLoss: 1,
  venue: { kind: "conditional", stop: `${symbol}-stop` },
});

describe("ProtectionWatch.pollExchange", () => {
  it("one symbol whose poll fails does not keep the others from being polled; it is named, and returned", async () => {
    const cap = captureLogger();
    const protections = new Map([
      ["BTCUSDT", guarded("BTCUSDT")],
      ["ETHUSDT", guarded("ETHUSDT")],
    ]);
    const replaced: string[] = [];
    const exchangeProtection = {
      failed: new Set<string>(),
      status: async (p: Protection) => {
        if (p.symbol === "BTCUSDT") throw new Error("GET /fapi/v1/algoOrder: 400");
        return { state: "gone" as const };
      },
    } as unknown as ExchangeProtection;
    const ledger = {
      protections,
      replaceProtection: async (p: Protection) => {
        replaced.push(p.symbol);
        protections.set(p.symbol, p);
      },
    };
    const watch = new ProtectionWatch({
      ledger,
      exchangeProtection,
      log: cap.logger,
    } as unknown as ConstructorParameters<typeof ProtectionWatch>[0]);
    const failed = await watch.pollExchange();
    expect([...failed]).toEqual(["BTCUSDT"]);
    // ETHUSDT, polled after the failure, was taken up: its orders gone, the engine watches it.
    expect(replaced).toEqual(["ETHUSDT"]);
    expect(
      cap.find("exchange protection poll failed for a symbol; asked again at the next poll")[0],
    ).toMatchObject({ level: "error", symbol: "BTCUSDT", entrySignalId: "BTCUSDT-entry" });
  });

  it("an engine exit that fails does not keep another symbol's crossed stop from exiting in the same check", async () => {
    const cap = captureLogger();
    const soft = (symbol: string): Protection => ({ ...guarded(symbol), venue: undefined, stopLoss: 100 });
    const protections = new Map([
      ["BTCUSDT", soft("BTCUSDT")],
      ["ETHUSDT", soft("ETHUSDT")],
    ]);
    const now = Date.now();
    const exits: string[] = [];
    const watch = new ProtectionWatch({
      ledger: { protections },
      prices: { get: () => ({ bid: 90, ask: 90.01, at: now }) },
      cfg: { PRICE_MAX_AGE_MS: 5_000, PROTECTION_CHECK_MS: 200 },
      log: cap.logger,
      metrics: createEngineMetrics(new Registry()),
      runExit: async (req: { id: string; symbol: string }) => {
        exits.push(req.id);
        if (req.symbol === "BTCUSDT") throw new Error("venue down");
        protections.delete(req.symbol);
        return "done" as const;
      },
    } as unknown as ConstructorParameters<typeof ProtectionWatch>[0]);
    await expect(watch.checkLevels(now)).rejects.toThrow("venue down");
    expect(exits).toEqual(["BTCUSDT-entry:stop_loss", "ETHUSDT-entry:stop_loss"]);
  });
});
