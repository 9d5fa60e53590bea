import { spawn } from "node:child_process";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createLogger } from "@tradewire/logger";
import { metricValue } from "@tradewire/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { Supervisor } from "../src/supervisor.js";

const running: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop("test done")));
});

describe("log output", () => {
  it("F07 a service whose stdout reader goes away (EPIPE) says so on stderr, stops and exits 1 instead of spinning", async () => {
    const fixture = fileURLToPath(new URL("./fixtures/chatty-service.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", fixture], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      const ready = new Promise<string>((resolve) => {
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('"fixture ready"')) resolve("ready");
        });
      });
      const started = await Promise.race([ready, exited.then((code) => `exited (${code}): ${stderr}`)]);
      expect(started).toBe("ready");
      // The reader goes away: the fixture's next line fails with EPIPE. It used to log that failure,
      // fail again, for ever: the event loop starved, memory grew, and SIGTERM went unhandled.
      child.stdout.destroy();
      const code = await Promise.race([
        exited,
        new Promise<string>((resolve) => setTimeout(() => resolve("still running after 10 s"), 10_000)),
      ]);
      expect(code).toBe(1);
      expect(stderr).toContain("fixture: log output lost (write EPIPE); stopping");
    } finally {
      child.kill("SIGKILL");
    }
  }, 30_000);

  it("F05 lines a blocked output dropped are counted in /metrics", async () => {
    // A reader that never reads: the stream accepts nothing.
    const stuck = new Writable({ highWaterMark: 1024, write: () => {} });
    const logger = createLogger({ service: "svc", format: "json", stream: stuck, maxBufferedBytes: 1024 });
    const sup = new Supervisor({ service: "svc", logger, httpPort: 0, handleSignals: false });
    running.push(sup);
    for (let i = 0; i < 200; i += 1) logger.info("line", { i });
    const dropped = metricValue(await sup.metrics.metrics(), "tradewire_log_lines_dropped_total");
    // Only the lines up to the bound were taken; the count is the process's, so at least these.
    expect(dropped).toBeGreaterThanOrEqual(190);
  });
});
