import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { natsNamespace, pgSchema, redisScope, waitFor } from "@tradewire/testkit";
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
  const cleanups: (() => Promise<void>)[] = [];
  let runner: ChildProcess | undefined;
  afterAll(async () => {
    // A test that failed midway: the runner stops its services (their own groups, which a kill of
    // the runner's group would miss), and only one that does not end in time is killed.
    const left = runner;
    if (left !== undefined && left.exitCode === null && left.signalCode === null) {
      const ended = new Promise((resolve) => left.once("exit", resolve));
      left.kill("SIGTERM");
      const timer = setTimeout(() => left.kill("SIGKILL"), 30_000);
      await ended;
      clearTimeout(timer);
    }
    for (const c of cleanups) await c();
  });

  it("runs the demo, and Ctrl-C stops every service once, gracefully (exit 0, no second signal)", async () => {
    const ns = await natsNamespace("start");
    const db = await pgSchema("start");
    const redis = await redisScope("start");
    cleanups.push(ns.cleanup, db.cleanup, redis.cleanup);
    const lines: string[] = [];
    const started = spawn(process.execPath, ["scripts/run-pipeline.mjs"], {
      cwd: repo,
      // Its own group, as a shell's job: the "terminal's" SIGINT below goes to that group.
      detached: true,
      env: {
        ...process.env,
        PIPELINE_HTTP_PORT_BASE: String(await fourFreePorts()),
        NATS_URL: ns.url,
        TRADEWIRE_NAMESPACE: ns.namespace,
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        TRADE_INTENT_STREAM: redis.key("trade.intent"),
        LOG_FORMAT: "json",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    runner = started;
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      lines.push(...parts);
    };
    started.stdout?.on("data", onData);
    started.stderr?.on("data", onData);
    const exited = new Promise<number | null>((resolve) => started.once("exit", (code) => resolve(code)));
    const seen = (text: string) => lines.filter((l) => l.includes(text));

    await waitFor("every service ready", () => seen("every service is ready")[0], 60_000, 100);
    await waitFor(
      "the demo intent filled",
      () => seen('"FILLED"').find((l) => l.includes('"source":"intent"')),
      30_000,
      100,
    );
    await waitFor(
      "the three demo intents written",
      () => seen("demo intent written to").length === 3,
      10_000,
    );

    if (started.pid === undefined) throw new Error("runner has no pid");
    process.kill(-started.pid, "SIGINT");
    expect(await exited).toBe(0);
    for (const svc of ["market-relay", "realtime-strategies", "trade-intent-consumer", "trade-engine"])
      expect(seen(`${svc} exited`), svc).toEqual([
        expect.stringContaining(`${svc} exited (code 0, signal null)`),
      ]);
    expect(seen("second signal")).toEqual([]);
    expect(seen("all services stopped")).toHaveLength(1);
  });
});
