import { fileURLToPath } from "node:url";
import {
  freePort,
  loadCandleFile,
  natsNamespace,
  PrivateNatsServer,
  pgSchema,
  ServiceProcess,
  startFakeBinanceRest,
  TcpProxy,
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
const extractor = (intervals: string, binance: string, env: Record<string, string> = {}) =>
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
      ...env,
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

  it("F01 starts and extracts with NATS down at its start (its completion events counted unpublished), and connects once NATS is up", async () => {
    const nats = await PrivateNatsServer.start();
    await nats.stop();
    try {
      service = extractor("1m", `http://127.0.0.1:${await freePort()}`, {
        NATS_URL: nats.url,
        TRADEWIRE_NAMESPACE: "",
      }).start();
      await waitFor("started", () => service?.find("service started").length === 1, 10_000);
      const ready = await service.get<{ dependencies: Record<string, boolean> }>("/ready");
      expect(ready.status).toBe(503);
      expect(ready.body.dependencies).toEqual({ postgres: true, nats: false });
      await waitFor("an extraction run", () => service?.find("symbol extraction done").length === 1, 10_000);
      await waitFor(
        "its event said unpublished",
        () => service?.find("completion event not published").length === 1,
        5_000,
      );
      expect(service.find("nats connect failed; retrying").length).toBeGreaterThan(0);
      await nats.restart();
      await waitFor("connected", () => service?.find("nats connected").length === 1, 10_000);
      await service.waitReady();
      expect(await service.stop("SIGTERM")).toBe(0);
      expect(service.find("shutdown complete")[0]).toMatchObject({ clean: true });
    } finally {
      await service?.stop("SIGKILL");
      await nats.dispose();
    }
  });

  it("F05 a database that hangs with its connections open is said within seconds and holds the extraction back instead of stalling it; it goes on once it answers", async () => {
    const proxy = await TcpProxy.start(Number(new URL(db.url).port || 5432));
    try {
      service = extractor("1m", `http://127.0.0.1:${await freePort()}`, {
        DATABASE_URL: proxy.route(db.url),
      }).start();
      await service.waitReady();
      const frozenAt = Date.now();
      proxy.freeze();
      const silent = await waitFor(
        "the silence said",
        () => service?.find("postgres not answering pings: klines are written once it answers")[0],
        6_000,
      );
      expect(silent).toMatchObject({ level: "warn" });
      expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(3_000);
      const heldBack = await waitFor(
        "the extraction held back",
        () => service?.find("task held back by what no restart helps; not counted as a stall")[0],
        3_000,
      );
      expect(heldBack).toMatchObject({ task: "incremental", pausedBy: "postgres not answering pings" });
      expect((await service.get("/ready")).status).toBe(503);
      proxy.thaw();
      await waitFor("the answer said", () => service?.find("postgres answering again").length === 1, 5_000);
      await waitFor("held back no more", () => service?.find("task no longer held back").length === 1, 3_000);
      expect(service.find("task stalled")).toEqual([]);
      expect(await service.stop("SIGTERM")).toBe(0);
      expect(service.find("shutdown complete")[0]).toMatchObject({ clean: true });
    } finally {
      proxy.thaw();
      await service?.stop("SIGKILL");
      await proxy.close();
    }
  });
});
