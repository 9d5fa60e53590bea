import { describe, expect, it } from "vitest";
import { InFlight, settle, unwrap } from "./in-flight.js";

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
const tick = () => new Promise((r) => setImmediate(r));

describe("InFlight", () => {
  it("hands outcomes back in the order the work started, not the order it finished", async () => {
    const q = new InFlight<number>();
    const [a, b] = [deferred<number>(), deferred<number>()];
    q.add(a.promise);
    q.add(b.promise);
    b.resolve(2);
    await tick();
    expect(q.takeFinished()).toEqual([]); // the oldest is still running
    a.resolve(1);
    await tick();
    expect(q.takeFinished().map(unwrap)).toEqual([1, 2]);
    expect(q.size).toBe(0);
  });

  it("keeps a failure as an outcome instead of an unhandled rejection", async () => {
    const q = new InFlight<number>();
    const a = deferred<number>();
    q.add(a.promise);
    a.reject(new Error("publish failed"));
    await tick();
    const outcome = await q.takeOldest();
    expect(outcome).toMatchObject({ ok: false });
    expect(() => unwrap(outcome as NonNullable<typeof outcome>)).toThrow("publish failed");
    expect(await q.takeOldest()).toBeUndefined();
  });

  it("settle never rejects", async () => {
    await expect(settle(Promise.reject(new Error("x")))).resolves.toMatchObject({ ok: false });
  });
});
