import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { natsNamespace, pgSchema, redisScope, ServiceProcess, waitFor } from "@tradewire/testkit";
import { afterAll, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("..", import.meta.url));

/** Whether `port` can be bound on loopback now. */
function bindable(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** The first of four consecutive ports free now (the runner gives its services a base and the next three). */
async function fourFreePorts(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const free = await Promise.all([0, 1, 2, 3].map((i) => bindable(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error("no four consecutive free ports on loopback");
}

// `pnpm start` (scripts/run-pipeline.mjs), stopped as Ctrl-C stops it: SIGINT to the whole
// foreground process group, the runner and (unless they have their own) its services.
describe("pnpm start: the whole pipeline from the runner", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    // A test that failed midway: the runner stops its services (in their own groups), or is killed.
    for (const c of cleanups.reverse()) await c();
  });

  /** The runner on its own namespace, schema, Redis key and four ports, started. */
  async function startRunner() {
    const ns = await natsNamespace("start");
    const db = await pgSchema("start");
    const redis = await redisScope("start");
    cleanups.push(ns.cleanup, db.cleanup, redis.cleanup);
    const portBase = await fourFreePorts();
    const runner = new ServiceProcess({
      name: "pnpm start",
      entry: `${repo}scripts/run-pipeline.mjs`,
      cwd: repo,
      // Its own group, as a shell's job: the "terminal's" SIGINT below goes to that group.
      detached: true,
      env: {
        PIPELINE_HTTP_PORT_BASE: String(portBase),
        NATS_URL: ns.url,
        TRADEWIRE_NAMESPACE: ns.namespace,
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        TRADE_INTENT_STREAM: redis.key("trade.intent"),
      },
    }).start();
    cleanups.push(() => runner.stop("SIGTERM", 30_000));
    return { runner, ports: [0, 1, 2, 3].map((i) => portBase + i) };
  }

  it("runs the demo, and Ctrl-C stops every service once, gracefully (exit 0, no second signal)", async () => {
    const { runner } = await startRunner();
    // The runner's own lines are raw text, the services' JSON.
    const seen = (text: string) => runner.lines.filter((l) => l.message.includes(text)).map((l) => l.message);

    await waitFor("every service ready", () => seen("every service is ready")[0], 60_000, 100);
    await waitFor(
      "the demo intent filled",
      () => runner.lines.find((l) => l.message === "FILLED" && l.source === "intent"),
      30_000,
      100,
    );
    await waitFor(
      "the three demo intents written",
      () => seen("demo intent written to").length === 3,
      10_000,
    );

    runner.signalGroup("SIGINT");
    await waitFor("the runner exited", () => !runner.running, 30_000, 50);
    expect(await runner.stop()).toBe(0);
    for (const svc of ["market-relay", "realtime-strategies", "trade-intent-consumer", "trade-engine"])
      expect(seen(`${svc} exited`), svc).toEqual([
        expect.stringContaining(`${svc} exited (code 0, signal null)`),
      ]);
    expect(seen("second signal")).toEqual([]);
    expect(seen("all services stopped")).toHaveLength(1);
  });

  it("pnpm start | head: once its output is gone the runner stops every service and exits, no stack trace, none left", async () => {
    const { runner, ports } = await startRunner();
    await waitFor(
      "every service ready",
      () => runner.lines.some((l) => l.message.includes("every service is ready")),
      60_000,
      100,
    );
    runner.closeOutput();
    await waitFor("the runner exited", () => !runner.running, 30_000, 50);
    // It used to die on the broken pipe (exit 1, a stack trace on stderr), leaving its exit handler
    // to signal the services without waiting for them.
    expect(await runner.stop()).toBe(0);
    expect(runner.stderr()).not.toMatch(/EPIPE\n\s+at |Emitted 'error' event/);
    // Every service has exited: its port is free again.
    for (const port of ports) expect(await bindable(port), `port ${port}`).toBe(true);
  });
});
