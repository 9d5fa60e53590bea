import type { Bus } from "@tradewire/bus";
import { captureLogger } from "@tradewire/logger";
import { Counter, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { orderRequest } from "../test/order-request.js";
import { orderEvent } from "./order-events.js";
import { EventOutbox } from "./outbox.js";
import type { EngineStore } from "./store.js";

describe("EventOutbox while NATS is away", () => {
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
});
