import { Bus, STREAMS } from "@tradewire/bus";
import { captureLogger, createSilentLogger } from "@tradewire/logger";
import type { TaskContext } from "@tradewire/supervisor";
import { natsNamespace } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SignalOutbox } from "../src/outbox.js";
import { signalInput as signal } from "./signal-input.js";

let nats: Awaited<ReturnType<typeof natsNamespace>>;
let bus: Bus;
beforeEach(async () => {
  nats = await natsNamespace("stratstop");
  bus = await Bus.connect({
    servers: nats.url,
    name: "outbox",
    logger: createSilentLogger(),
    namespace: nats.namespace,
  });
  await bus.ensureStream(STREAMS.signals);
});
afterEach(async () => {
  await bus.drain();
  await nats.cleanup();
});

/** A task context already told to stop: `run` goes straight to what it does on the way out. */
function stopped(log: TaskContext["log"]): TaskContext {
  const controller = new AbortController();
  controller.abort(new Error("shutdown"));
  return { signal: controller.signal, log, progress: () => {}, count: () => {}, gauge: () => {} };
}

const stored = async () => (await bus.jsm.streams.info(bus.ns.resource(STREAMS.signals.name))).state.messages;

describe("signal outbox on the way out", () => {
  it("F38 publishes what it still holds when it is stopped, while NATS answers", async () => {
    const cap = captureLogger("realtime-strategies");
    const outcomes: string[] = [];
    const outbox = new SignalOutbox(bus, cap.logger, 10, (_s, outcome) => outcomes.push(outcome));
    for (const id of ["s1", "s2", "s3"]) outbox.submit(signal(id));
    await outbox.run(stopped(cap.logger));
    expect(await stored()).toBe(3);
    expect(outbox.size).toBe(0);
    expect(outcomes).toEqual(["forwarded", "forwarded", "forwarded"]);
    expect(cap.find("FORWARDED").map((l) => l.signalId)).toEqual(["s1", "s2", "s3"]);
  });

  it("F17 what it cannot publish on the way out (NATS gone) is said with its ids and counted as dropped, not lost without a word", async () => {
    const cap = captureLogger("realtime-strategies");
    const outcomes: string[] = [];
    const gone = await Bus.connect({
      servers: nats.url,
      name: "gone",
      logger: createSilentLogger(),
      namespace: nats.namespace,
    });
    await gone.drain();
    const outbox = new SignalOutbox(gone, cap.logger, 10, (_s, outcome) => outcomes.push(outcome));
    for (const id of ["d1", "d2"]) outbox.submit(signal(id));
    await outbox.run(stopped(cap.logger));
    expect(outcomes).toEqual(["dropped", "dropped"]);
    expect(outbox.counts.dropped).toBe(2);
    expect(cap.find("stopping with signals not forwarded: dropped")[0]).toMatchObject({
      level: "warn",
      dropped: 2,
      signalIds: ["d1", "d2"],
      natsConnected: false,
    });
    expect(await stored()).toBe(0);
  });

  it("a signal whose id JetStream holds already (a restart deriving it again) is counted a duplicate, not forwarded", async () => {
    const cap = captureLogger("realtime-strategies");
    const outcomes: string[] = [];
    const outbox = new SignalOutbox(bus, cap.logger, 10, (_s, outcome) => outcomes.push(outcome));
    outbox.submit(signal("again"));
    outbox.submit(signal("again"));
    await outbox.run(stopped(cap.logger));
    expect(outcomes).toEqual(["forwarded", "duplicate"]);
    expect(outbox.counts).toMatchObject({ forwarded: 1, duplicates: 1 });
    expect(cap.find("DUPLICATE: JetStream holds this signal id already; not sent again")[0]).toMatchObject({
      signalId: "again",
    });
    expect(await stored()).toBe(1);
  });
});
