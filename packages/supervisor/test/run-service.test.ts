import { captureLogger } from "@tradewire/logger";
import { describe, expect, it } from "vitest";
import { runService } from "../src/run-service.js";

/** Runs `start` as a service's main would, with the exits it asked for and its log lines kept. */
async function run(start: () => Promise<unknown>) {
  const cap = captureLogger("svc");
  const exits: number[] = [];
  await runService(cap.logger, "svc", start, (c) => exits.push(c));
  return { cap, exits, failed: cap.find("svc could not start")[0] };
}

describe("runService", () => {
  it("a start that fails is one structured error line with its stack, and exit 1", async () => {
    const { exits, failed } = await run(() => Promise.reject(new Error("schema demo does not exist")));
    expect(exits).toEqual([1]);
    expect(failed).toMatchObject({ level: "error" });
    expect(JSON.stringify(failed)).toMatch(/schema demo does not exist/);
    expect(JSON.stringify(failed)).toMatch(/run-service\.test\.ts/);
  });

  it("F02 a module that fails to load at start is the same structured line naming it, and exit 1", async () => {
    const missing = "./no-such-module.js";
    const { exits, failed } = await run(async () => (await import(/* @vite-ignore */ missing)).start());
    expect(exits).toEqual([1]);
    expect(failed).toMatchObject({ level: "error" });
    expect(JSON.stringify(failed)).toMatch(/no-such-module/);
  });

  it("a start that succeeds neither logs nor exits", async () => {
    const { cap, exits } = await run(async () => "started");
    expect(exits).toEqual([]);
    expect(cap.lines()).toEqual([]);
  });
});
