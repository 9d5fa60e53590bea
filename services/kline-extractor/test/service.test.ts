import { fileURLToPath } from "node:url";
import {
  freePort,
  loadCandleFile,
  natsNamespace,
  pgSchema,
  ServiceProcess,
  startFakeBinanceRest,
  waitFor,
} from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
let db: Awaited<ReturnType<typeof pgSchema>>;
let ns: Awaited<ReturnType<typeof natsNamespace>>;
let service: ServiceProcess | undefined;
beforeEach(async () => {
  db = await pgSchema("kxsvc");
  ns = await natsNamespace("kxsvc");
});
afterEach(async () => {
  await service?.stop("SIGKILL");
  await db.cleanup();
  await ns.cleanup();
});

/** The service on this test's schema and namespace, extracting BTCUSDT at `intervals` from `binance`. */
const extractor = (intervals: string, binance: string) =>
  new ServiceProcess({
    name: "kline-extractor",
    entry: "src/main.ts",
    cwd: root,
    env: {
      HTTP_PORT: "0",
      DATABASE_URL: db.url,
      NATS_URL: ns.url,
      TRADEWIRE_NAMESPACE: ns.namespace,
      SYMBOLS: "BTCUSDT",
      INTERVALS: intervals,
      BINANCE_HTTP_BASE: binance,
    },
  });

describe("kline-extractor service (start)", () => {
  it("migrates at start, serves /healthz /ready /metrics, runs incremental as a task and F38 stops cleanly", async () => {
    service = extractor("1m,5m", `http://127.0.0.1:${await freePort()}`).start();
    await service.waitReady();
    expect((await service.get<{ status: string }>("/healthz")).body.status).toBe("ok");
    const ready = await service.get<{ dependencies: Record<string, boolean>; details: { series: unknown } }>(
      "/ready",
    );
    expect(ready.body.dependencies).toEqual({ postgres: true, nats: true });
    expect(ready.body.details.series).toEqual({
      symbols: ["BTCUSDT"],
      intervals: ["1m", "5m"],
      market: "spot",
    });
    const tables = await db.pool.query("SELECT 1 FROM klines LIMIT 1");
    expect(tables.rowCount).toBe(0);
    await waitFor(
      "first incremental run",
      () => service?.find("symbol extraction done").length === 2,
      10_000,
    );
    const metrics = await fetch(`http://127.0.0.1:${service.port}/metrics`).then((r) => r.text());
    expect(metrics).toContain("tradewire_kline_extractions_total");
    expect(await service.stop("SIGTERM")).toBe(0);
    expect(service.find("shutdown complete")[0]).toMatchObject({ clean: true });
  });
  it("F43 waits out an IP ban without calling it a stall (no restart into the ban), says so, and F38 stops at once when asked mid-ban", async () => {
    const fake = await startFakeBinanceRest({
      series: {
        "spot:BTCUSDT:1m": loadCandleFile(
          "binance_spot_BTC_USDT-1m_2023-03-16_to_2023-05-01_freqtrade_WITH_GAP.json",
          "1m",
        ),
      },
    });
    try {
      fake.fail({ kind: 418, retryAfterS: 3_600, path: "/api/v3/klines" });
      service = extractor("1m", fake.url).start();
      await service.waitReady();
      const heldBack = await waitFor(
        "held back by the ban",
        () => service?.find("task held back by what no restart helps; not counted as a stall")[0],
        10_000,
      );
      expect(heldBack).toMatchObject({ level: "warn", task: "incremental" });
      expect(String(heldBack.pausedBy)).toMatch(
        /^Binance pauses this IP's requests \(418 IP ban\) until \S+$/,
      );
      // The shutdown does not wait out the hour.
      const stopping = Date.now();
      expect(await service.stop("SIGTERM")).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(5_000);
      expect(service.find("shutdown complete")[0]).toMatchObject({ clean: true });
      expect(fake.requests.filter((r) => r.path === "/api/v3/klines").map((r) => r.status)).toEqual([418]);
    } finally {
      await fake.close();
    }
  });
});
