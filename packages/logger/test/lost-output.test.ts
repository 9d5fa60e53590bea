import { fileURLToPath } from "node:url";
import { ServiceProcess, waitFor } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";

describe("a lost log output, before any fatal-error handler", () => {
  it("F07 exits 1 with one line on stderr, not a stack trace about a pipe", async () => {
    const fixture = new ServiceProcess({
      name: "ticking",
      entry: fileURLToPath(new URL("./fixtures/ticking.ts", import.meta.url)),
      env: {},
    }).start();
    try {
      await waitFor("ticking ready", () => fixture.find("ticking ready").length > 0, 15_000);
      // The reader goes away, as when `| head` has read its lines.
      fixture.closeOutput();
      await waitFor("ticking exited", () => !fixture.running, 10_000);
      expect(await fixture.stop()).toBe(1);
      expect(fixture.stderr()).toBe("ticking: log output lost (write EPIPE); stopping\n");
    } finally {
      await fixture.stop("SIGKILL");
    }
  }, 30_000);
});
