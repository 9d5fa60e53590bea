import type { DurableMessage } from "@tradewire/bus";
import { captureLogger } from "@tradewire/logger";
import { describe, expect, it } from "vitest";
import { DeliveryFailures, settleAll } from "./settle.js";

/** A message that records how it was settled; `deliveries` as JetStream counts them. */
function message(seq: number, deliveries: number) {
  const settled: string[] = [];
  const m: DurableMessage<unknown> = {
    kind: "durable",
    subject: "signals.trading",
    data: {},
    streamSequence: seq,
    deliveryCount: deliveries,
    publishedAtMs: 0,
    msgId: undefined,
    ack: async () => void settled.push("ack"),
    nak: (ms) => void settled.push(`nak ${ms}`),
    term: async (reason) => void settled.push(`term ${reason}`),
    working: () => {},
  };
  return { m, settled };
}

describe("settling decided messages", () => {
  it("counts failed attempts, not deliveries: a message nak'ed busy many times still gets every retry", async () => {
    const { logger } = captureLogger("settle-test");
    const failures = new DeliveryFailures();
    // Delivered 40 times while another replica held it (busy), then its own attempts fail.
    const { m, settled } = message(7, 40);
    await settleAll([m], ["busy"], failures, logger, 3);
    await settleAll([m], [new Error("database away")], failures, logger, 3);
    await settleAll([m], [new Error("database away")], failures, logger, 3);
    expect(settled).toEqual(["nak 1000", "nak 1000", "nak 2000"]);
    await settleAll([m], [new Error("database away")], failures, logger, 3);
    expect(settled.at(-1)).toBe("term failed 3 times: database away");
  });

  it("a decided message is acked and its failures forgotten; each message counts its own", async () => {
    const { logger } = captureLogger("settle-test");
    const failures = new DeliveryFailures();
    const a = message(1, 1);
    const b = message(2, 1);
    await settleAll([a.m, b.m], [new Error("x"), new Error("y")], failures, logger, 2);
    await settleAll([a.m, b.m], ["done", new Error("y")], failures, logger, 2);
    expect(a.settled).toEqual(["nak 1000", "ack"]);
    expect(b.settled).toEqual(["nak 1000", "term failed 2 times: y"]);
    // Seen again (a redelivery after its ack was lost) and failing: counted from the start.
    await settleAll([a.m], [new Error("x")], failures, logger, 2);
    expect(a.settled.at(-1)).toBe("nak 1000");
  });
});
