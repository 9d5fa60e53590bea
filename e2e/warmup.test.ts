import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  type FakeBinanceRest,
  loadCandleFile,
  natsNamespace,
  pgSchema,
  type ServiceProcess,
  startFakeBinanceRest,
} from "@tradewire/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService } from "./services.js";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../services/kline-extractor/dist/cli.js", import.meta.url));

// kline-extractor (CLI, against the fake Binance) -> PostgreSQL klines -> realtime-strategies warm-up.
describe("warm-up: extractor to strategies", () => {
  let fake: FakeBinanceRest;
  let ns: Awaited<ReturnType<typeof natsNamespace>>;
  let db: Awaited<ReturnType<typeof pgSchema>>;
  let strategies: ServiceProcess | undefined;

  beforeAll(async () => {
    fake = await startFakeBinanceRest({
      series: {
        "spot:BTCUSDT:1m": loadCandleFile(
          "binance_spot_BTC_USDT-1m_2023-03-16_to_2023-05-01_freqtrade_WITH_GAP.json",
          "1m",
        ),
      },
    });
    ns = await natsNamespace("e2ew");
    db = await pgSchema("e2ew");
  });

  afterAll(async () => {
    await strategies?.stop("SIGTERM");
    await fake.close();
    await ns.cleanup();
    await db.cleanup();
  });

  it("starts strategies with warm indicators from the klines the extractor stored", async () => {
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      NATS_URL: ns.url,
      TRADEWIRE_NAMESPACE: ns.namespace,
      BINANCE_HTTP_BASE: fake.url,
    };
    const extract = await run(
      process.execPath,
      [
        cli,
        "backfill",
        "--symbols",
        "BTCUSDT",
        "--interval",
        "1m",
        "--start",
        "2023-04-20",
        "--end",
        "2023-04-26",
      ],
      { env },
    );
    expect(extract.stderr).toMatch(/BTCUSDT\s+ok/);

    strategies = await startService("realtime-strategies", {
      NATS_URL: ns.url,
      TRADEWIRE_NAMESPACE: ns.namespace,
      DATABASE_URL: db.url,
      SYMBOLS: "BTCUSDT",
    });
    await strategies.waitReady(30_000);
    expect(strategies.find("warm-up loaded")[0]).toMatchObject({ candles: { BTCUSDT: 6000 } });
    const { body } = await strategies.get<{ details: { warm: Record<string, string[]> } }>("/ready");
    for (const name of [
      "ema_pullback_continuation",
      "momentum_pulse",
      "rsi_extreme_reversal",
      "bollinger_breakout",
      "multi_timeframe_trend",
    ]) {
      expect(body.details.warm[name]).toEqual(["BTCUSDT"]);
    }
    expect(
      strategies.find("strategy not warm; not evaluating").filter((l) => l.strategy === "momentum_pulse"),
    ).toEqual([]);
  });
});
