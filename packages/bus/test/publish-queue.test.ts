import { createSilentLogger } from "@tradewire/logger";
import type { TaskContext } from "@tradewire/supervisor";
import { describe, expect, it } from "vitest";
import { PublishQueue, type PublishQueueOptions } from "../src/publish-queue.js";

/** A task context with its counters, and the means to stop it. */
function context() {
  const controller = new AbortController();
  const counters: Record<string, number> = {};
  const ctx: TaskContext = {
    signal: controller.signal,
    log: createSilentLogger(),
    progress: () => {},
    count: (name, n = 1) => {
      counters[name] = (counters[name] ?? 0) + n;
    },
    gauge: () => {},
  };
  return { ctx, counters, stop: () => controller.abort() };
}

/** A queue whose publish fails while `down` holds, recording what it stored and was told. */
function queue(overrides: Partial<PublishQueueOptions<string>> = {}) {
  const stored: string[] = [];
  const failed: { item: string; retryInMs: number | undefined }[] = [];
  const dropped: string[][] = [];
  const state = { down: false, connected: true };
  const q = new PublishQueue<string>({
    capacity: 3,
    countAs: "published",
    backoff: { initialMs: 10, maxMs: 40 },
    publish: async (item) => {
      if (state.down) throw new Error(`refused ${item}`);
      stored.push(item);
    },
    isConnected: () => state.connected,
    onFailed: (item, _error, retryInMs) => void failed.push({ item, retryInMs }),
    onDropped: (items) => void dropped.push([...items]),
    ...overrides,
  });
  return { q, stored, failed, dropped, state };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe("PublishQueue", () => {
  it("publishes in order, each once, counting them; refuses an item past its capacity", async () => {
    const { q, stored } = queue();
    const { ctx, counters, stop } = context();
    expect(["a", "b", "c", "d"].map((item) => q.offer(item))).toEqual([true, true, true, false]);
    const running = q.run(ctx);
    await until(() => stored.length === 3);
    expect(q.offer("e")).toBe(true);
    await until(() => stored.length === 4);
    stop();
    await running;
    expect(stored).toEqual(["a", "b", "c", "e"]);
    expect(counters).toEqual({ published: 4 });
  });

  it("keeps an item its publish failed for, tries it again backing off, and publishes it first once it can", async () => {
    const { q, stored, failed, state } = queue();
    const { ctx, stop } = context();
    state.down = true;
    q.offer("a");
    q.offer("b");
    const running = q.run(ctx);
    await until(() => failed.length >= 4);
    expect(failed.slice(0, 4).map((f) => f.item)).toEqual(["a", "a", "a", "a"]);
    // Backing off: half to all of a ceiling doubling from 10 ms, never past its 40 ms maximum.
    const waits = failed.slice(0, 4).map((f) => f.retryInMs ?? 0);
    expect(waits[0]).toBeGreaterThanOrEqual(5);
    expect(waits[0]).toBeLessThanOrEqual(10);
    expect(waits[3]).toBeGreaterThanOrEqual(20);
    for (const wait of waits) expect(wait).toBeLessThanOrEqual(40);
    state.down = false;
    await until(() => stored.length === 2);
    expect(stored).toEqual(["a", "b"]);
    stop();
    await running;
  });

  it("stopping, publishes what it holds while NATS answers; what it cannot is handed over, not lost without a word", async () => {
    const flushed = queue();
    flushed.q.offer("a");
    flushed.q.offer("b");
    const first = context();
    first.stop();
    await flushed.q.run(first.ctx);
    expect(flushed.stored).toEqual(["a", "b"]);
    expect(flushed.dropped).toEqual([]);

    const away = queue();
    away.state.connected = false;
    away.q.offer("c");
    const second = context();
    second.stop();
    await away.q.run(second.ctx);
    expect(away.stored).toEqual([]);
    expect(away.dropped).toEqual([["c"]]);
    expect(away.q.size).toBe(0);

    const refusing = queue();
    refusing.state.down = true;
    refusing.q.offer("d");
    refusing.q.offer("e");
    const third = context();
    third.stop();
    await refusing.q.run(third.ctx);
    expect(refusing.failed).toEqual([{ item: "d", retryInMs: undefined }]);
    expect(refusing.dropped).toEqual([["d", "e"]]);
  });
});
