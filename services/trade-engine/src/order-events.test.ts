import { type Bus, BusError } from "@tradewire/bus";
import { OrderEvent } from "@tradewire/schemas";
import { describe, expect, it } from "vitest";
import { orderRequest } from "../test/order-request.js";
import { oneShotEvents, orderEvent, publishOrderEvents } from "./order-events.js";

const req = orderRequest({ id: "sig-1", strategyId: "s" });
const events = [
  orderEvent("paper", "placed", req, { quantity: "0.1" }),
  orderEvent("paper", "filled", req, {
    quantity: "0.1",
    filled_quantity: "0.1",
    avg_price: "30000",
    fee: "3",
    fee_asset: "USDT",
  }),
];
const ack = { stream: "ORDERS", seq: 1, duplicate: false };

/** A bus whose batch publishes answer from `script`, one call after another; records what was sent. */
function bus(script: ((msgIds: string[]) => (typeof ack | BusError)[])[]) {
  const calls: { subject: string; msgIds: string[] }[] = [];
  const fake = {
    publishDurableBatch: async (subject: string, _schema: unknown, items: { msgId: string }[]) => {
      const msgIds = items.map((i) => i.msgId);
      calls.push({ subject, msgIds });
      const answer = script.shift() ?? ((ids: string[]) => ids.map(() => ack));
      return answer(msgIds);
    },
  } as unknown as Bus;
  return { fake, calls };
}

describe("publishOrderEvents", () => {
  it("publishes one batch per subject, each event with its own msg id", async () => {
    const { fake, calls } = bus([]);
    await publishOrderEvents(fake, events);
    expect(calls.map((c) => c.subject).sort()).toEqual(["orders.filled", "orders.placed"]);
    expect(calls.flatMap((c) => c.msgIds).sort()).toEqual(events.map((e) => e.value.event_id).sort());
  });

  it("publishes again only what failed, and throws naming the events that never went out", async () => {
    const failed = new BusError("PUBLISH_FAILED", "ack timed out", true);
    const once = bus([(ids) => ids.map(() => failed), (ids) => ids.map(() => ack)]);
    await publishOrderEvents(once.fake, [events[0] as (typeof events)[number]]);
    expect(once.calls).toHaveLength(2);

    const never = bus([
      (ids) => ids.map(() => failed),
      (ids) => ids.map(() => failed),
      (ids) => ids.map(() => failed),
    ]);
    await expect(publishOrderEvents(never.fake, [events[1] as (typeof events)[number]])).rejects.toThrow(
      /1 order events could not be published \(tw-[0-9a-f]+:filled\)/,
    );
    expect(never.calls).toHaveLength(3);
  });

  it("does not retry an event its schema refuses, and says why", async () => {
    const invalid = new BusError(
      "INVALID_PAYLOAD",
      "invalid OrderEvent: avg_price: expected a decimal",
      false,
    );
    const refused = bus([(ids) => ids.map(() => invalid)]);
    await expect(publishOrderEvents(refused.fake, [events[1] as (typeof events)[number]])).rejects.toThrow(
      /could not be published .*: invalid OrderEvent: avg_price/,
    );
    expect(refused.calls).toHaveLength(1);
  });
});

describe("oneShotEvents", () => {
  const order = { side: "BUY" as const, quantity: "0.01", closing: false, type: "LIMIT" as const };
  const fill = (quantity: string) => ({
    orderId: "7",
    clientOrderId: "tw-7",
    quantity,
    price: "30000",
    fee: "0.3",
    feeAsset: "USDT",
  });

  it("a complete fill: placed, then filled, its fee final (no fee_unread)", () => {
    const events = oneShotEvents("testnet", req, order, fill("0.01"), "30000");
    expect(events.map((e) => e.value.event)).toEqual(["placed", "filled"]);
    expect(events[1]?.value).toMatchObject({ fee: "0.3", fee_asset: "USDT" });
    expect(events[1]?.value).not.toHaveProperty("fee_unread");
  });

  it("a fill whose fees could not be read says so on its event, and the schema takes it", () => {
    const unread = { ...fill("0.01"), fee: "0", feesUnread: "/fapi/v1/userTrades: unexpected response" };
    const filled = oneShotEvents("testnet", req, order, unread, "30000")[1]?.value;
    expect(filled).toMatchObject({ fee: "0", fee_unread: "/fapi/v1/userTrades: unexpected response" });
    expect(OrderEvent.parse(filled)).toHaveProperty("fee_unread", "/fapi/v1/userTrades: unexpected response");
  });

  it("an IOC that executed part and expired ends with canceled for the rest, not at partial_fill", () => {
    const events = oneShotEvents("testnet", req, order, fill("0.004"), "30000");
    expect(events.map((e) => e.value.event)).toEqual(["placed", "partial_fill", "canceled"]);
    expect(events[2]?.value).toMatchObject({
      quantity: "0.01",
      price: "30000",
      reason: "expired: 0.004 of 0.01 executed, the rest ended unfilled",
    });
    // Each its own event id.
    expect(new Set(events.map((e) => e.value.event_id)).size).toBe(3);
  });
});
