import { describe, expect, it } from "vitest";
import { Doorbell } from "../src/doorbell.js";

const within = (p: Promise<boolean>, ms: number) =>
  Promise.race([p.then(() => "woke"), new Promise((r) => setTimeout(() => r("slept"), ms))]);

describe("Doorbell", () => {
  it("a ring ends the current wait early, and the wait says it was rung", async () => {
    const bell = new Doorbell();
    const waiting = bell.wait(60_000);
    bell.ring();
    expect(await within(waiting, 1_000)).toBe("woke");
    expect(await waiting).toBe(true);
    expect(await bell.wait(10)).toBe(false);
  });

  it("a ring while nobody waits ends the next wait at once, and counts once", async () => {
    const bell = new Doorbell();
    bell.ring();
    bell.ring();
    expect(await within(bell.wait(60_000), 1_000)).toBe("woke");
    const stop = new AbortController();
    expect(await within(bell.wait(60_000, stop.signal), 200)).toBe("slept");
    stop.abort();
  });

  it("without a ring the wait lasts its time, and an abort ends it", async () => {
    const bell = new Doorbell();
    expect(await within(bell.wait(20), 1_000)).toBe("woke");
    const stop = new AbortController();
    const waiting = bell.wait(60_000, stop.signal);
    stop.abort();
    expect(await within(waiting, 1_000)).toBe("woke");
  });
});
