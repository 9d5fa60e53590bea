import { type Bus, BusError } from "@tradewire/bus";
import { captureLogger } from "@tradewire/logger";
import { Counter, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { orderRequest } from "../test/order-request.js";
import { orderEvent } from "./order-events.js";
import { EventOutbox, type OutboxWrite } from "./outbox.js";
import type { EngineStore, OutboxRow } from "./store.js";

const event = (id: string) => orderEvent("testnet", "canceled", orderRequest({ id }), { reason: "x" });
const idOf = (row: OutboxRow) => row.events[0]?.value.event_id;

/** An outbox over `bus`, whose store records each query's parameters and answers `left` to the sweep. */
function outboxOver(bus: unknown, left: () => OutboxRow[] = () => []) {
  const cap = captureLogger("outbox-test");
  const queries: { name: string; params: unknown[] }[] = [];
  const store = {
    query: async (name: string, _sql: string, params: unknown[]) => {
      queries.push({ name, params });
      if (name !== "engine_outbox_left") return { rows: [] };
      return { rows: left().map((r) => ({ batch_id: r.batchId, events: JSON.stringify(r.events) })) };
    },
  } as unknown as EngineStore;
  const registry = new Registry();
  const republished = new Counter({ name: "t_republished", help: "t", registers: [registry] });
  const orders = new Counter({
    name: "t_orders",
    help: "t",
    labelNames: ["status"] as const,
    registers: [registry],
  });
  const outbox = new EventOutbox({ store, bus: bus as Bus, log: cap.logger, republished, orders });
  return { outbox, cap, queries, orders };
}

describe("EventOutbox", () => {
  it("counts each event of a stored row once, by kind, whether it goes out now or is kept for the sweep; a rolled-back write counts none", async () => {
    const bus = { isConnected: () => false, publishDurableBatch: () => Promise.resolve([]) };
    const { outbox, orders } = outboxOver(bus);
    const filled = orderEvent("testnet", "filled", orderRequest({ id: "f" }), {
      filled_quantity: "1",
      avg_price: "1",
      fee: "0",
      fee_asset: "USDT",
    });
    await outbox.publishInTurn(outbox.write([event("a"), filled]));
    outbox.enqueue(outbox.row([event("b")]));
    outbox.rolledBack(outbox.write([event("never stored")]));
    await outbox.drain(1_000);
    const counts = Object.fromEntries((await orders.get()).values.map((v) => [v.labels.status, v.value]));
    expect(counts).toEqual({ canceled: 2, filled: 1 });
  });

  it("keeps a stored row for the sweep at once while NATS is away, instead of waiting out its publish retries", async () => {
    let published = 0;
    const bus = {
      isConnected: () => false,
      publishDurableBatch: () => {
        published += 1;
        return new Promise(() => {});
      },
    };
    const { outbox, cap } = outboxOver(bus);
    const row = outbox.row([event("away")]);
    // Resolves without touching NATS: nothing queued behind it waits on a publish that cannot succeed.
    await outbox.publishInTurn(row);
    await outbox.publishInTurn(outbox.row(row.events));
    expect(published).toBe(0);
    const said = cap.find("NATS is not connected: order events kept in the outbox for the sweep");
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ level: "warn", batchId: row.batchId, events: 1 });
  });

  it("queues rows: the one-by-one path never waits on a JetStream that does not answer; rows (a batch's too) go out in the order stored, in flight (not the sweep's), and a shutdown waits a bounded time", async () => {
    const published: string[] = [];
    const answers: (() => void)[] = [];
    const bus = {
      isConnected: () => true,
      // Connected, and JetStream answers only when the test says so.
      publishDurableBatch: (_subject: string, _schema: unknown, items: { msgId: string }[]) => {
        published.push(...items.map((i) => i.msgId));
        return new Promise((resolve) => answers.push(() => resolve(items.map(() => ({ seq: 1 })))));
      },
    };
    const { outbox, queries } = outboxOver(bus);
    const first = outbox.row([event("first")]);
    const second = outbox.row([event("second")]);
    outbox.enqueue(first);
    outbox.enqueue(second);
    // A paper batch committed after them goes out after them.
    const batch: OutboxWrite = { ...outbox.row([event("batch")]), published: [] };
    let batchOut = false;
    const batchPublished = outbox.publishInTurn(batch).then(() => {
      batchOut = true;
    });
    await new Promise((r) => setImmediate(r));
    // The first is out waiting on its ack; the others wait their turn.
    expect(published).toEqual([idOf(first)]);
    // None is the sweep's to send again meanwhile.
    await outbox.sweep(0);
    expect(queries.at(-1)?.params[1]).toEqual([first.batchId, second.batchId, batch.batchId]);
    // A shutdown waits a bounded time, then says the rest is left for the next start.
    expect(await outbox.drain(20)).toBe(false);
    answers.shift()?.();
    await new Promise((r) => setImmediate(r));
    expect(published).toEqual([idOf(first), idOf(second)]);
    answers.shift()?.();
    await new Promise((r) => setImmediate(r));
    expect(published).toEqual([idOf(first), idOf(second), idOf(batch)]);
    expect(batchOut).toBe(false);
    answers.shift()?.();
    await batchPublished;
    expect(await outbox.drain(1_000)).toBe(true);
    await outbox.sweep(0);
    expect(queries.at(-1)?.params[1]).toEqual([]);
  });

  it("once JetStream left a publish unanswered, the rows behind it wait for the sweep at once; the sweep's first publish that goes through lifts that", async () => {
    let answering = false;
    const published: string[] = [];
    const bus = {
      isConnected: () => true,
      publishDurableBatch: async (_subject: string, _schema: unknown, items: { msgId: string }[]) => {
        published.push(...items.map((i) => i.msgId));
        return items.map(() =>
          answering ? { seq: 1 } : new BusError("PUBLISH_FAILED", "JetStream ack timed out", true),
        );
      },
    };
    const first = { batchId: "b-1", events: [event("first")] };
    const second = { batchId: "b-2", events: [event("second")] };
    let left = [second];
    const { outbox, cap, queries } = outboxOver(bus, () => left);
    // Unanswered after its retries (three attempts): kept, and said at error.
    await outbox.publishInTurn(first);
    expect(published).toEqual([idOf(first), idOf(first), idOf(first)]);
    expect(cap.find("order events could not be published; the outbox keeps them")).toHaveLength(1);
    // The next row does not wait out its own retries behind it.
    await outbox.publishInTurn(second);
    expect(published).toHaveLength(3);
    expect(
      cap.find("JetStream did not answer the last publish: order events kept in the outbox for the sweep")[0],
    ).toMatchObject({ level: "warn", batchId: "b-2" });
    // JetStream is back: the sweep sends what was kept at once (no grace), and rows go out directly again.
    answering = true;
    await outbox.sweep(10_000);
    expect(queries.find((q) => q.name === "engine_outbox_left")?.params[0]).toBe(0);
    expect(published.at(-1)).toBe(idOf(second));
    const third = { batchId: "b-3", events: [event("third")] };
    await outbox.publishInTurn(third);
    expect(published.at(-1)).toBe(idOf(third));
    // Unanswered again, and another replica's sweep sends what was kept: nothing left, nothing kept back.
    answering = false;
    await outbox.publishInTurn({ batchId: "b-4", events: [event("fourth")] });
    answering = true;
    left = [];
    await outbox.sweep(10_000);
    const fifth = { batchId: "b-5", events: [event("fifth")] };
    await outbox.publishInTurn(fifth);
    expect(published.at(-1)).toBe(idOf(fifth));
  });
});
