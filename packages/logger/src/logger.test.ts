import { describe, expect, it } from "vitest";
import { captureLogger } from "./capture.js";

const tick = () => new Promise((r) => setImmediate(r));

describe("logger", () => {
  it("writes JSON lines with time, level, service, message and structured fields", async () => {
    const cap = captureLogger("trade-engine");
    cap.logger.info("signal forwarded", { signalId: "s-1", symbol: "BTCUSDT" });
    await tick();
    const [line] = cap.lines();
    expect(line).toMatchObject({
      level: "info",
      service: "trade-engine",
      message: "signal forwarded",
      signalId: "s-1",
    });
    expect(Date.parse(line?.timestamp ?? "")).not.toBeNaN();
  });

  it("child loggers carry their context", async () => {
    const cap = captureLogger();
    cap.logger.child({ component: "consumer" }).warn("lagging", { lagMs: 12 });
    await tick();
    expect(cap.lines()[0]).toMatchObject({ component: "consumer", lagMs: 12, level: "warn" });
  });

  it("redacts secrets by key, by shape and inside URLs, at any depth", async () => {
    const cap = captureLogger();
    const key = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
    cap.logger.info("request", {
      apiKey: "abc",
      nested: { api_secret: "xyz", header: key },
      url: "https://api.binance.com/api/v3/order?symbol=BTCUSDT&signature=deadbeef&timestamp=1",
    });
    await tick();
    const text = JSON.stringify(cap.lines()[0]);
    expect(text).not.toContain("abc");
    expect(text).not.toContain("xyz");
    expect(text).not.toContain(key);
    expect(text).not.toContain("deadbeef");
    expect(text).toContain("symbol=BTCUSDT");
  });

  it("keeps the stack and cause of an error passed as a field", async () => {
    const cap = captureLogger();
    const err = new Error("boom", { cause: new Error("root cause") });
    cap.logger.error("task crashed", { err });
    await tick();
    const logged = cap.lines()[0]?.err as { message: string; stack: string; cause: { message: string } };
    expect(logged.message).toBe("boom");
    expect(logged.stack).toContain("logger.test.ts");
    expect(logged.cause.message).toBe("root cause");
  });

  it("F08 takes any fields without throwing: circular, bigint, undefined, functions, symbols, errors", async () => {
    const cap = captureLogger();
    const circular: Record<string, unknown> = { name: "loop" };
    circular.self = circular;
    const odd = {
      circular,
      big: 10n,
      none: undefined,
      fn: () => 1,
      sym: Symbol("s"),
      err: new Error("e"),
      at: new Date(0),
    };
    expect(() => cap.logger.info("odd fields", odd)).not.toThrow();
    cap.logger.info("next");
    await tick();
    expect(cap.lines().map((l) => l.message)).toEqual(["odd fields", "next"]);
    expect(cap.lines()[0]).toMatchObject({ circular: { name: "loop" }, at: "1970-01-01T00:00:00.000Z" });
  });

  it("F07 a second logger in the process leaves the first one writing where it wrote", async () => {
    const first = captureLogger("first");
    first.logger.info("before");
    const second = captureLogger("second");
    second.logger.info("other");
    first.logger.info("after");
    await tick();
    expect(first.lines().map((l) => [l.service, l.message])).toEqual([
      ["first", "before"],
      ["first", "after"],
    ]);
    expect(second.lines().map((l) => [l.service, l.message])).toEqual([["second", "other"]]);
  });

  it("honours the level", async () => {
    const cap = captureLogger("svc", "warn");
    cap.logger.info("hidden");
    cap.logger.error("shown");
    await tick();
    expect(cap.lines().map((l) => l.message)).toEqual(["shown"]);
  });
});
