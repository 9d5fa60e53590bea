import { fileURLToPath } from "node:url";
import { freePort, natsNamespace, pgSchema, ServiceProcess, waitFor } from "@tradewire/testkit";
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

describe("kline-extractor service (start)", () => {
  it("migrates at start, serves /healthz /ready /metrics, runs incremental as a task and F38 stops cleanly", async () => {
    service = new ServiceProcess({
      name: "kline-extractor",
      entry: "src/main.ts",
      cwd: root,
      env: {
        HTTP_PORT: "0",
        DATABASE_URL: db.url,
        NATS_URL: ns.url,
        TRADEWIRE_NAMESPACE: ns.namespace,
        SYMBOLS: "BTCUSDT",
        INTERVALS: "1m,5m",
        BINANCE_HTTP_BASE: `http://127.0.0.1:${await freePort()}`,
      },
    }).start();
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
});
