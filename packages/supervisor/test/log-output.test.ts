import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createLogger } from "@tradewire/logger";
import { metricValue, ServiceProcess, waitFor } from "@tradewire/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { Supervisor } from "../src/supervisor.js";

const running: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop("test done")));
});

describe("log output", () => {
  it("F07 a service whose stdout reader goes away (EPIPE) says so on stderr, stops and exits 1 instead of spinning", async () => {
    const fixture = new ServiceProcess({
      name: "fixture",
      entry: fileURLToPath(new URL("./fixtures/chatty-service.ts", import.meta.url)),
      env: {},
    }).start();
    try {
      await waitFor(
        "fixture ready",
        () => {
          if (!fixture.running) throw new Error(`fixture exited before it was ready: ${fixture.tail()}`);
          return fixture.find("fixture ready").length > 0;
        },
        15_000,
      );
      // The reader goes away: the fixture's next line fails with EPIPE. It used to log that failure,
      // fail again, for ever: the event loop starved, memory grew, and SIGTERM went unhandled.
      fixture.closeOutput();
      await waitFor("fixture exited, not spinning", () => !fixture.running, 10_000);
      expect(await fixture.stop()).toBe(1);
      expect(fixture.stderr()).toContain("fixture: log output lost (write EPIPE); stopping");
    } finally {
      await fixture.stop("SIGKILL");
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
