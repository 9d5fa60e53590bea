import { captureLogger } from "@tradewire/logger";
import { describe, expect, it } from "vitest";
import { sleep } from "./backoff.js";
import { PingWatch } from "./ping-watch.js";

describe("PingWatch", () => {
  it("calls a server silent once a ping goes unanswered past the bound, once, and answering again when one comes", async () => {
    const cap = captureLogger("svc");
    let answer: (() => void) | undefined;
    let pings = 0;
    const watch = new PingWatch({
      name: "s1",
      ping: () => {
        pings += 1;
        return new Promise<void>((resolve) => {
          answer = resolve;
        });
      },
      logger: cap.logger,
      silentMessage: "server silent",
      answeringMessage: "server answering",
      fields: () => ({ server: "s1" }),
      unansweredMs: 100,
      everyMs: 20,
    });
    try {
      await sleep(60);
      expect(watch.answering()).toBe(true);
      await sleep(150);
      expect(watch.answering()).toBe(false);
      expect(watch.silence()).toBe("s1 not answering pings");
      // One ping outstanding at a time, said once.
      expect(pings).toBe(1);
      expect(cap.find("server silent")).toEqual([
        expect.objectContaining({ level: "warn", server: "s1", waitedMs: expect.any(Number) }),
      ]);
      answer?.();
      await sleep(10);
      expect(watch.answering()).toBe(true);
      expect(watch.silence()).toBeUndefined();
      expect(cap.find("server answering")[0]).toMatchObject({ level: "info", server: "s1" });
      expect(Number(cap.find("server answering")[0]?.silentMs)).toBeGreaterThanOrEqual(100);
    } finally {
      watch.stop();
    }
  });

  it("a failed ping (the connection gone) is asked again, and a closed connection stops the watch", async () => {
    const cap = captureLogger("svc");
    let pings = 0;
    let closed = false;
    const watch = new PingWatch({
      name: "s1",
      ping: async () => {
        pings += 1;
        throw new Error("disconnected");
      },
      closed: () => closed,
      logger: cap.logger,
      silentMessage: "server silent",
      answeringMessage: "server answering",
      unansweredMs: 100,
      everyMs: 10,
    });
    await sleep(80);
    expect(pings).toBeGreaterThan(2);
    expect(watch.answering()).toBe(true);
    closed = true;
    await sleep(30);
    const after = pings;
    await sleep(50);
    expect(pings).toBe(after);
    expect(cap.find("server silent")).toEqual([]);
  });

  it("a ping that throws at once is a failed ping, not an uncaught error; a bound that is not a positive number is refused, naming it", async () => {
    const cap = captureLogger("svc");
    let pings = 0;
    const watch = new PingWatch({
      name: "s1",
      ping: () => {
        pings += 1;
        throw new Error("connection closed");
      },
      logger: cap.logger,
      silentMessage: "server silent",
      answeringMessage: "server answering",
      unansweredMs: 100,
      everyMs: 10,
    });
    await sleep(60);
    watch.stop();
    expect(pings).toBeGreaterThan(2);
    expect(watch.answering()).toBe(true);
    const opts = {
      name: "s1",
      ping: async () => {},
      logger: cap.logger,
      silentMessage: "s",
      answeringMessage: "a",
    };
    expect(() => new PingWatch({ ...opts, unansweredMs: Number.NaN })).toThrow(
      "PingWatch unansweredMs must be a positive number of milliseconds, got NaN",
    );
    expect(() => new PingWatch({ ...opts, everyMs: -1 })).toThrow(
      "PingWatch everyMs must be a positive number of milliseconds, got -1",
    );
  });
});
