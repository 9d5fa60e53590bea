import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("a lost log output, before any fatal-error handler", () => {
  it("F07 exits 1 with one line on stderr, not a stack trace about a pipe", async () => {
    const fixture = fileURLToPath(new URL("./fixtures/ticking.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", fixture], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      // The reader goes away, as when `| head` has read its lines.
      child.stdout.destroy();
      expect(await exited).toBe(1);
      expect(stderr).toBe("ticking: log output lost (write EPIPE); stopping\n");
    } finally {
      child.kill("SIGKILL");
    }
  }, 30_000);
});
