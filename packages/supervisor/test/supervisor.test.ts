import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { captureLogger } from "@tradewire/logger";
import { metricValue } from "@tradewire/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { sleep } from "../src/backoff.js";
import { PortInUseError, readJsonBody, sendJson } from "../src/http.js";
import { Supervisor } from "../src/supervisor.js";

const running: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop("test done")));
});

function supervisor(overrides: Partial<ConstructorParameters<typeof Supervisor>[0]> = {}) {
  const cap = captureLogger("svc");
  const sup = new Supervisor({
    service: "svc",
    logger: cap.logger,
    httpPort: 0,
    handleSignals: false,
    ...overrides,
  });
  running.push(sup);
  return { sup, cap };
}

async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

describe("Supervisor", () => {
  it("F01 logs a crashing task with its stack and restarts it within a second", async () => {
    const { sup, cap } = supervisor({ backoffInitialMs: 50, backoffMaxMs: 200 });
    let runs = 0;
    sup.addTask({
      name: "consumer",
      async run(ctx) {
        runs += 1;
        if (runs === 1) throw new Error("handler exploded");
        while (!ctx.signal.aborted) await sleep(20, ctx.signal);
      },
    });
    const t0 = Date.now();
    await sup.start();
    await waitFor(() => runs === 2);
    expect(Date.now() - t0).toBeLessThan(1000);
    const crash = cap.find("task crashed")[0];
    expect(crash?.level).toBe("error");
    expect((crash?.err as { stack: string } | undefined)?.stack).toContain("handler exploded");
    expect(cap.find("task restarting")).toHaveLength(1);
    const metrics = await sup.metrics.metrics();
    expect(metrics).toMatch(/tradewire_task_restarts_total\{[^}]*task="consumer"[^}]*\} 1/);
  });

  it("F01 treats a service task that returns as an unexpected exit and restarts it", async () => {
    const { sup, cap } = supervisor({ backoffInitialMs: 20 });
    let runs = 0;
    sup.addTask({
      name: "loop",
      run: async () => {
        runs += 1;
      },
    });
    await sup.start();
    await waitFor(() => runs >= 2);
    expect(cap.find("task exited unexpectedly")[0]?.level).toBe("warn");
  });

  it("gives up after a burst of crashes and turns /healthz red", async () => {
    const { sup, cap } = supervisor({ backoffInitialMs: 5, backoffMaxMs: 10, maxRestarts: 2 });
    sup.addTask({
      name: "doomed",
      run: async () => {
        throw new Error("always");
      },
    });
    await sup.start();
    await waitFor(() => cap.find("task gave up; service unhealthy").length === 1);
    const res = await fetch(`http://127.0.0.1:${sup.httpPort}/healthz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { failure: string }).failure).toContain("doomed crashed 3 times");
  });

  it("F06 detects a stalled task, logs it and restarts it", async () => {
    const { sup, cap } = supervisor({ backoffInitialMs: 10 });
    let runs = 0;
    sup.addTask({
      name: "silent-loop",
      stallTimeoutMs: 300,
      async run(ctx) {
        runs += 1;
        await sleep(60_000, ctx.signal); // no progress reported
      },
    });
    await sup.start();
    await waitFor(() => runs === 2, 3000);
    const stalled = cap.find("task stalled")[0];
    expect(stalled).toMatchObject({ level: "error", task: "silent-loop", stallTimeoutMs: 300 });
  });

  it("F43 a task held back by what no restart helps (an exchange ban) is not stalled while it lasts; its deadline runs again from its end", async () => {
    const { sup, cap } = supervisor({ backoffInitialMs: 10, heartbeatIntervalMs: 200 });
    let runs = 0;
    let ban: string | undefined = "Binance pauses this IP's requests (418 IP ban) until later";
    sup.addTask({
      name: "extract",
      stallTimeoutMs: 600,
      pausedBy: () => ban,
      async run(ctx) {
        runs += 1;
        await sleep(60_000, ctx.signal); // waits on the ban: no progress
      },
    });
    await sup.start();
    const heldBack = () => cap.find("task held back by what no restart helps; not counted as a stall");
    await waitFor(() => heldBack().length > 0);
    expect(heldBack()[0]).toMatchObject({ level: "warn", task: "extract", pausedBy: ban });
    // Over two deadlines pass: neither a stall nor a restart, and the heartbeat says what it waits on.
    await sleep(1_400);
    expect(cap.find("task stalled")).toEqual([]);
    expect(runs).toBe(1);
    expect(heldBack()).toHaveLength(1);
    expect(cap.find("task heartbeat").at(-1)).toMatchObject({ task: "extract", pausedBy: ban });
    const endedAt = Date.now();
    ban = undefined;
    await waitFor(() => cap.find("task stalled").length > 0, 3000);
    // From the last watchdog round that saw the pause (rounds are 200 ms apart here), not at once.
    expect(Date.now() - endedAt).toBeGreaterThanOrEqual(600 - 200);
    expect(cap.find("task no longer held back")[0]).toMatchObject({ level: "info", task: "extract" });
  });

  it("F05 a call that blocks the event loop is logged at warn with how long, once it lets go, and counted", async () => {
    const { sup, cap } = supervisor({ eventLoopBlockWarnMs: 500 });
    let blocked = false;
    sup.addTask({
      name: "blocking",
      async run(ctx) {
        await sleep(100, ctx.signal);
        // A synchronous call with no timeout: nothing else runs meanwhile.
        const until = Date.now() + 800;
        while (Date.now() < until) {}
        blocked = true;
        while (!ctx.signal.aborted) await sleep(20, ctx.signal);
      },
    });
    await sup.start();
    await waitFor(() => blocked);
    const said = () => cap.find("event loop blocked: every task, timer and socket waited");
    await waitFor(() => said().length > 0, 3000);
    expect(said()[0]).toMatchObject({ level: "warn", thresholdMs: 500 });
    expect(said()[0]?.blockedMs).toBeGreaterThanOrEqual(700);
    // The rounds after it, with the loop free again, say nothing more.
    await sleep(1200);
    expect(said()).toHaveLength(1);
    expect(await sup.metrics.metrics()).toMatch(/tradewire_event_loop_blocked_total\{[^}]*\} 1/);
  });

  it("F09 metrics set up twice in one process (two supervisors) neither crash nor share their counts", async () => {
    const idle = (name: string) => ({
      name,
      async run(ctx: { signal: AbortSignal }) {
        while (!ctx.signal.aborted) await sleep(20, ctx.signal);
      },
    });
    const a = supervisor({ service: "a" });
    const b = supervisor({ service: "b" });
    a.sup.addTask(idle("only-in-a"));
    b.sup.addTask(idle("only-in-b"));
    await a.sup.start();
    await b.sup.start();
    const scrape = async (s: Supervisor) => (await fetch(`http://127.0.0.1:${s.httpPort}/metrics`)).text();
    const [textA, textB] = await Promise.all([scrape(a.sup), scrape(b.sup)]);
    for (const [text, own, other, service] of [
      [textA, "only-in-a", "only-in-b", "a"],
      [textB, "only-in-b", "only-in-a", "b"],
    ] as const) {
      expect(text).toMatch(new RegExp(`tradewire_task_up\\{[^}]*task="${own}"[^}]*\\} 1`));
      expect(text).not.toContain(other);
      expect(text).toContain(`service="${service}"`);
      // The process's default metrics are there for each.
      expect(text).toMatch(/^process_cpu_user_seconds_total/m);
    }
  });

  it("F03 a readiness check that hangs holds neither /ready nor the work: not ready after its bound, asked once", async () => {
    const { sup, cap } = supervisor({ readyCheckTimeoutMs: 200, heartbeatIntervalMs: 100 });
    let asked = 0;
    let answer: (ok: boolean) => void = () => {};
    let answering = false;
    sup.addDependency({
      name: "postgres",
      isReady: () => {
        asked += 1;
        if (answering) return true;
        return new Promise<boolean>((r) => {
          answer = r;
        });
      },
    });
    sup.addDependency({ name: "nats", isReady: () => true });
    let worked = 0;
    sup.addTask({
      name: "work",
      async run(ctx) {
        while (!ctx.signal.aborted) {
          ctx.count("processed");
          worked += 1;
          await sleep(10, ctx.signal);
        }
      },
    });
    await sup.start();
    const base = `http://127.0.0.1:${sup.httpPort}`;
    for (let probe = 0; probe < 2; probe++) {
      const res = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(2_000) });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        dependencies: { postgres: false, nats: true },
        unready: { postgres: "readiness check of postgres did not finish within 200 ms" },
      });
    }
    // The hung check is not started again at every probe, and is said once.
    expect(asked).toBe(1);
    expect(cap.find("dependency not ready yet")).toHaveLength(1);
    const before = worked;
    await waitFor(() => worked > before + 5);
    // The database answers again: the hung check ends, and the next probe asks afresh.
    answering = true;
    answer(true);
    await sleep(10);
    const res = await fetch(`${base}/ready`);
    expect(res.status).toBe(200);
    expect(cap.find("dependency ready")[0]).toMatchObject({ dependency: "postgres" });
  });

  it("F06 a dependency that stops being ready is said at warn within seconds with nobody asking /ready, and said ready again", async () => {
    const { sup, cap } = supervisor({ readyWatchIntervalMs: 100 });
    let ready = true;
    sup.addDependency({ name: "exchange", isReady: () => ready });
    await sup.start();
    ready = false;
    await waitFor(() => cap.find("dependency not ready").length > 0);
    expect(cap.find("dependency not ready")[0]).toMatchObject({
      level: "warn",
      dependency: "exchange",
      reason: "not ready",
    });
    ready = true;
    await waitFor(() => cap.find("dependency ready again").length > 0);
    expect(cap.find("dependency ready again")[0]).toMatchObject({ level: "info", dependency: "exchange" });
    // Each change once, however many rounds ran.
    await sleep(300);
    expect(cap.find("dependency not ready")).toHaveLength(1);
  });

  it("F06 a dependency not ready since the start is said at info while the service starts, at warn once it stays so past readyStartGraceMs, and at info once ready", async () => {
    const { sup, cap } = supervisor({ readyWatchIntervalMs: 50, readyStartGraceMs: 400 });
    let ready = false;
    sup.addDependency({ name: "price-feed", isReady: () => ready });
    await sup.start();
    await waitFor(() => cap.find("dependency not ready yet").length > 0);
    expect(cap.find("dependency not ready yet")[0]).toMatchObject({
      level: "info",
      dependency: "price-feed",
    });
    // Nothing at warn while the service starts (a first quote on its way is no fault).
    expect(cap.lines().filter((l) => l.level === "warn")).toEqual([]);
    await waitFor(() => cap.find("dependency not ready since the start").length > 0);
    const late = cap.find("dependency not ready since the start")[0];
    expect(late).toMatchObject({ level: "warn", dependency: "price-feed", reason: "not ready" });
    expect(late?.sinceStartMs).toBeGreaterThanOrEqual(400);
    await sleep(200);
    expect(cap.find("dependency not ready since the start")).toHaveLength(1);
    ready = true;
    await waitFor(() => cap.find("dependency ready").length > 0);
    expect(cap.find("dependency ready")[0]).toMatchObject({ level: "info", dependency: "price-feed" });
    // Once ready, going unready is a change: said at warn at once.
    ready = false;
    await waitFor(() => cap.find("dependency not ready").length > 0);
    expect(cap.find("dependency not ready")[0]).toMatchObject({ level: "warn", dependency: "price-feed" });
  });

  it("serves /ready naming what is not ready, and /metrics", async () => {
    const { sup } = supervisor();
    let natsUp = false;
    sup.addDependency({ name: "nats", isReady: () => natsUp });
    sup.addDetail("mode", () => "SAFE_DRAIN");
    sup.addTask({ name: "t", run: (ctx) => sleep(60_000, ctx.signal) });
    await sup.start();
    const base = `http://127.0.0.1:${sup.httpPort}`;
    let res = await fetch(`${base}/ready`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as {
      dependencies: Record<string, boolean>;
      details: Record<string, string>;
    };
    expect(body.dependencies).toEqual({ nats: false });
    expect(body.details.mode).toBe("SAFE_DRAIN");
    natsUp = true;
    res = await fetch(`${base}/ready`);
    expect(res.status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain("process_cpu_user_seconds_total");
    expect(metrics).toContain('tradewire_task_up{task="t",service="svc"} 1');
  });

  it("logs a heartbeat per task with its counters, what they added since the last beat, and its gauges", async () => {
    const { sup, cap } = supervisor({ heartbeatIntervalMs: 100 });
    let more: () => void = () => {};
    sup.addTask({
      name: "counter",
      async run(ctx) {
        ctx.count("processed", 3);
        ctx.gauge("pending", 7);
        more = () => {
          ctx.count("processed", 2);
          ctx.gauge("pending", 5);
        };
        await sleep(60_000, ctx.signal);
      },
    });
    await sup.start();
    await waitFor(() => cap.find("task heartbeat").length > 0);
    expect(cap.find("task heartbeat")[0]).toMatchObject({
      level: "info",
      task: "counter",
      processed: 3,
      pending: 7,
      sinceLastBeat: { processed: 3 },
      state: "running",
    });
    const beats = cap.find("task heartbeat").length;
    more();
    await waitFor(() => cap.find("task heartbeat").length > beats);
    expect(cap.find("task heartbeat")[beats]).toMatchObject({
      processed: 5,
      pending: 5,
      sinceLastBeat: { processed: 2 },
    });
    await waitFor(() => cap.find("task heartbeat").length > beats + 1);
    expect(cap.find("task heartbeat")[beats + 1]).toMatchObject({ sinceLastBeat: { processed: 0 } });
    const metrics = await sup.metrics.metrics();
    expect(metricValue(metrics, "tradewire_task_gauge", { task: "counter", gauge: "pending" })).toBe(5);
  });

  it("answers a body that is not JSON with 400 naming the parser's complaint, not a bare 500", async () => {
    const { sup, cap } = supervisor();
    sup.route("POST", "/echo", async (req, res) => sendJson(res, 200, await readJsonBody(req)));
    await sup.start();
    const post = (body: string) => fetch(`http://127.0.0.1:${sup.httpPort}/echo`, { method: "POST", body });
    const bad = await post("{enabled: true}");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^body is not JSON: .*property name/);
    const good = await post('{"enabled":true}');
    expect(await good.json()).toEqual({ enabled: true });
    // Bad input is the caller's: nothing is logged as a failure of the service.
    expect(cap.find("http handler failed")).toEqual([]);
  });

  it("F33 fails with a clear error naming the port and the variable when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { sup } = supervisor({ httpPort: port, httpHost: "127.0.0.1", httpPortVariable: "HTTP_PORT" });
      await expect(sup.start()).rejects.toThrow(PortInUseError);
      await expect(sup.start()).rejects.toThrow(`port ${port} is already in use: set HTTP_PORT`);
    } finally {
      blocker.close();
    }
  });

  it("F38 shuts down in order within the bound on SIGTERM", async () => {
    const fixture = fileURLToPath(new URL("./fixtures/ordered-service.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", fixture], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines: { message: string; step?: string; clean?: boolean }[] = [];
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      for (const p of parts) if (p.trim()) lines.push(JSON.parse(p));
    });
    await waitFor(() => lines.some((l) => l.message === "fixture ready"), 15_000);
    const sent = Date.now();
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code).toBe(0);
    expect(Date.now() - sent).toBeLessThan(2000);
    const order = lines
      .filter((l) =>
        [
          "shutdown started",
          "fixture task finished in-flight work",
          "shutdown step done",
          "shutdown complete",
        ].includes(l.message),
      )
      .map((l) => l.step ?? l.message);
    expect(order).toEqual([
      "shutdown started",
      "fixture task finished in-flight work",
      "fixture task finished in-flight work",
      "drain-nats",
      "close-db",
      "shutdown complete",
    ]);
    expect(lines.find((l) => l.message === "shutdown complete")?.clean).toBe(true);
  }, 20_000);
});
