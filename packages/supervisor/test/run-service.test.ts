import { captureLogger } from "@tradewire/logger";
import { describe, expect, it } from "vitest";
import { runService } from "../src/run-service.js";

describe("runService", () => {
  it("a start that fails is one structured error line with its stack, and exit 1", async () => {
    const cap = captureLogger("svc");
    const exits: number[] = [];
    await runService(
      cap.logger,
      "svc",
      () => Promise.reject(new Error("schema demo does not exist")),
      (c) => exits.push(c),
    );
    expect(exits).toEqual([1]);
    const [line] = cap.find("svc could not start");
    expect(line).toMatchObject({ level: "error" });
    expect(JSON.stringify(line)).toMatch(/schema demo does not exist/);
    expect(JSON.stringify(line)).toMatch(/run-service\.test\.ts/);
  });

  it("F02 a module that fails to load at start is the same structured line naming it, and exit 1", async () => {
    const cap = captureLogger("svc");
    const exits: number[] = [];
    const missing = "./no-such-module.js";
    await runService(
      cap.logger,
      "svc",
      async () => (await import(/* @vite-ignore */ missing)).start(),
      (c) => exits.push(c),
    );
    expect(exits).toEqual([1]);
    const [line] = cap.find("svc could not start");
    expect(line).toMatchObject({ level: "error" });
    expect(JSON.stringify(line)).toMatch(/no-such-module/);
  });

  it("a start that succeeds neither logs nor exits", async () => {
    const cap = captureLogger("svc");
    const exits: number[] = [];
    await runService(
      cap.logger,
      "svc",
      async () => "started",
      (c) => exits.push(c),
    );
    expect(exits).toEqual([]);
    expect(cap.lines()).toEqual([]);
  });
});
