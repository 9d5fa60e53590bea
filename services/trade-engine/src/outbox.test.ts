import type { Bus } from "@tradewire/bus";
import { captureLogger } from "@tradewire/logger";
import { Counter, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { orderRequest } from "../test/order-request.js";
import { orderEvent } from "./order-events.js";
import { EventOutbox } from "./outbox.js";
import type { EngineStore } from "./store.js";

describe("EventOutbox", () => {
  it("keeps a stored row for the sweep at once, instead of waiting out its publish retries inside the lock", async () => {
    const cap = captureLogger("outbox-test");
    let published = 0;
    const bus = {
      isConnected: () => false,
      js: {
        publish: () => {
          published += 1;
          return new Promise(() => {});
        },
      },
    } as unknown as Bus;
    const republished = new Counter({ name: "t_republished", help: "t", registers: [new Registry()] });
    const outbox = new EventOutbox({ store: {} as EngineStore, bus, log: cap.logger, republished });
    const row = outbox.row([
      orderEvent("testnet", "canceled", orderRequest({ id: "away" }), { reason: "x" }),
    ]);
    // Resolves without touching NATS: the lock is not held by a publish that cannot succeed.
    await outbox.publishOrKeep(row);
    await outbox.publishOrKeep(outbox.row(row.events));
    expect(published).toBe(0);
    await new Promise((r) => setImmediate(r));
    const said = cap.find("NATS is not connected: order events kept in the outbox for the sweep");
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ level: "warn", batchId: row.batchId, events: 1 });
  });

  it("queues the one-by-one path's rows: the caller never waits on a JetStream that does not answer; rows go out in order, in flight (not the sweep's), and a shutdown waits a bounded time", async () => {
    const cap = captureLogger("outbox-test");
    const published: string[] = [];
    const answers: (() => void)[] = [];
    const bus = {
      isConnected: () => true,
      // Connected, and JetStream answers only when the test says so.
      publishDurableBatch: (_subject: string, _schema: unknown, items: { msgId: string }[]) => {
        published.push(...items.map((i) => i.msgId));
        return new Promise((resolve) => answers.push(() => resolve(items.map(() => ({ seq: 1 })))));
      },
    } as unknown as Bus;
    const swept: unknown[][] = [];
    const store = {
      query: async (_name: string, _sql: string, params: unknown[]) => {
        swept.push(params);
        return { rows: [] };
      },
    } as unknown as EngineStore;
    const republished = new Counter({ name: "t_republished2", help: "t", registers: [new Registry()] });
    const outbox = new EventOutbox({ store, bus, log: cap.logger, republished });
    const event = (id: string) => orderEvent("testnet", "canceled", orderRequest({ id }), { reason: "x" });
    const first = outbox.row([event("first")]);
    const second = outbox.row([event("second")]);
    outbox.enqueue(first);
    outbox.enqueue(second);
    await new Promise((r) => setImmediate(r));
    // The first is out waiting on its ack; the second waits its turn.
    expect(published).toHaveLength(1);
    expect(published[0]).toBe(first.events[0]?.value.event_id);
    // Neither is the sweep's to send again meanwhile.
    await outbox.sweep(0);
    expect(swept.at(-1)?.[1]).toEqual([first.batchId, second.batchId]);
    // A shutdown waits a bounded time, then says the rest is left for the next start.
    expect(await outbox.drain(20)).toBe(false);
    answers.shift()?.();
    await new Promise((r) => setImmediate(r));
    expect(published).toEqual(
      [first, second].map((row) => row.events[0]?.value.event_id).filter((id) => id !== undefined),
    );
    answers.shift()?.();
    expect(await outbox.drain(1_000)).toBe(true);
    await outbox.sweep(0);
    expect(swept.at(-1)?.[1]).toEqual([]);
  });
});
