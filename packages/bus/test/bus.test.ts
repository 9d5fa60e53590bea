import { jetstreamManager } from "@nats-io/jetstream";
import { captureLogger } from "@tradewire/logger";
import { KillSwitchCommand, subjects, TradingSignal } from "@tradewire/schemas";
import { natsNamespace, waitFor } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Bus } from "../src/bus.js";
import { BusError } from "../src/errors.js";
import type { CoreMessage, DurableMessage } from "../src/messages.js";
import { STREAMS } from "../src/streams.js";
import { loopContext, signalsConsumer, silent } from "./helpers.js";

const Ping = z.object({ n: z.number().int() });
const signal = (id: string) => ({
  signal_id: id,
  strategy_id: "test",
  symbol: "BTCUSDT",
  action: "BUY",
  confidence: 0.8,
  timestamp: Date.now(),
});

let ns: Awaited<ReturnType<typeof natsNamespace>>;
let bus: Bus;
beforeEach(async () => {
  ns = await natsNamespace("bus");
  bus = await Bus.connect({ servers: ns.url, name: "bus-test", logger: silent, namespace: ns.namespace });
});
afterEach(async () => {
  await bus.drain();
  await ns.cleanup();
});

/** A second bus on the test's namespace, whose log lines the test reads. */
async function watchedBus(name: string) {
  const cap = captureLogger("bus");
  return {
    cap,
    bus: await Bus.connect({ servers: ns.url, name, logger: cap.logger, namespace: ns.namespace }),
  };
}

describe("Bus core messaging", () => {
  it("delivers typed messages and counts invalid payloads instead of dropping them silently", async () => {
    const ctx = loopContext();
    const got: CoreMessage<{ n: number }>[] = [];
    const run = bus.runSubscription(
      { subject: "test.ping", schema: Ping, schemaName: "Ping", handler: (m) => void got.push(m) },
      ctx,
    );
    await bus.nc.flush();
    bus.publish("test.ping", Ping, { n: 1 });
    bus.nc.publish(`${ns.namespace}.test.ping`, "not json");
    bus.nc.publish(`${ns.namespace}.test.ping`, JSON.stringify({ n: "x" }));
    bus.publish("test.ping", Ping, { n: 2 });
    await waitFor("two valid messages", () => got.length === 2);
    expect(got.map((m) => m.data.n)).toEqual([1, 2]);
    expect(got[0]?.subject).toBe("test.ping");
    expect(ctx.counters.invalid).toBe(2);
    ctx.controller.abort();
    await run;
  });

  it("refuses to publish a payload that breaks its schema, naming the field", () => {
    expect(() => bus.publish("test.ping", Ping, { n: 1.5 })).toThrow(/n: /);
  });

  it("F11 core messages cannot be acked (compile-time)", () => {
    const handler = (m: CoreMessage<unknown>) => {
      // @ts-expect-error a core message has no ack(): only JetStream messages can be acked
      m.ack?.();
    };
    expect(handler).toBeTypeOf("function");
  });
});

describe("Bus JetStream", () => {
  it("declares streams idempotently and F10 covers bare and per-strategy signal subjects", async () => {
    await bus.ensureStream(STREAMS.signals);
    await bus.ensureStream(STREAMS.signals);
    const jsm = await jetstreamManager(bus.nc);
    const info = await jsm.streams.info(`${ns.namespace}_${STREAMS.signals.name}`);
    expect(info.config.subjects).toEqual([
      `${ns.namespace}.signals.trading`,
      `${ns.namespace}.signals.trading.>`,
    ]);
  });

  it("stores a retried publish once (Nats-Msg-Id) and delivers both subjects to one consumer", async () => {
    await bus.ensureStream(STREAMS.signals);
    await bus.ensureConsumer(STREAMS.signals, "engine");
    const first = await bus.publishDurable(subjects.signal(), TradingSignal, signal("s-1"), { msgId: "s-1" });
    const retry = await bus.publishDurable(subjects.signal(), TradingSignal, signal("s-1"), { msgId: "s-1" });
    await bus.publishDurable(subjects.signal("momentum"), TradingSignal, signal("s-2"), { msgId: "s-2" });
    expect(first.duplicate).toBe(false);
    expect(retry.duplicate).toBe(true);

    const ctx = loopContext();
    const got: DurableMessage<TradingSignal>[] = [];
    const run = bus.runDurableConsumer(
      {
        ...signalsConsumer("engine"),
        handler: async (m) => {
          got.push(m);
          await m.ack();
        },
      },
      ctx,
    );
    await waitFor("both signals", () => got.length === 2);
    expect(got.map((m) => [m.data.signal_id, m.msgId, m.subject])).toEqual([
      ["s-1", "s-1", "signals.trading"],
      ["s-2", "s-2", "signals.trading.momentum"],
    ]);
    ctx.controller.abort();
    await run;
  });

  it("publishes a batch with all acks in flight: one outcome per item, in order, retries stored once", async () => {
    await bus.ensureStream(STREAMS.signals);
    const items = ["p-1", "p-2", "p-3"].map((id) => ({ value: signal(id), msgId: id }));
    const bad = { value: { ...signal("p-4"), confidence: 7 }, msgId: "p-4" };
    const first = await bus.publishDurableBatch(subjects.signal(), TradingSignal, [...items, bad]);
    const acks = first
      .slice(0, 3)
      .map((r) => (r instanceof BusError ? r : { seq: r.seq, duplicate: r.duplicate }));
    expect(acks).toEqual([
      { seq: 1, duplicate: false },
      { seq: 2, duplicate: false },
      { seq: 3, duplicate: false },
    ]);
    expect(first[3]).toBeInstanceOf(BusError);
    expect((first[3] as BusError).code).toBe("INVALID_PAYLOAD");

    const retry = await bus.publishDurableBatch(subjects.signal(), TradingSignal, items, { trusted: true });
    expect(retry.map((r) => (r instanceof BusError ? r : r.duplicate))).toEqual([true, true, true]);
    const jsm = await jetstreamManager(bus.nc);
    expect((await jsm.streams.info(`${ns.namespace}_${STREAMS.signals.name}`)).state.messages).toBe(3);
  });

  it("fails a batch publish to a subject no stream stores, without throwing", async () => {
    const [outcome] = await bus.publishDurableBatch("nostream.here", Ping, [{ value: { n: 1 }, msgId: "x" }]);
    expect(outcome).toBeInstanceOf(BusError);
    expect((outcome as BusError).code).toBe("NO_STREAM");
    expect((outcome as BusError).message).toBe(`no JetStream stream stores ${ns.namespace}.nostream.here`);
    await expect(
      bus.publishDurable("nostream.here", Ping, { n: 1 }, { msgId: "y", timeoutMs: 1_000 }),
    ).rejects.toMatchObject({ code: "NO_STREAM" });
  });

  it("hands over what is already buffered as one batch, in order, and naks a batch whose handler throws", async () => {
    await bus.ensureStream(STREAMS.signals);
    await bus.ensureConsumer(STREAMS.signals, "batcher");
    for (let i = 0; i < 50; i++)
      await bus.publishDurable(subjects.signal(), TradingSignal, signal(`b-${i}`), { msgId: `b-${i}` });

    const ctx = loopContext();
    const batches: string[][] = [];
    let failOnce = true;
    const run = bus.runDurableBatchConsumer(
      {
        ...signalsConsumer("batcher"),
        maxBatch: 20,
        retryDelayMs: 10,
        batchHandler: async (messages) => {
          if (failOnce) {
            failOnce = false;
            throw new Error("database down");
          }
          batches.push(messages.map((m) => m.data.signal_id ?? ""));
          await Promise.all(messages.map((m) => m.ack()));
        },
      },
      ctx,
    );
    await waitFor("all 50 acked", () => batches.flat().length >= 50);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(20);
    // Backlogged messages come as batches, not one by one.
    expect(batches.length).toBeLessThan(50);
    expect(new Set(batches.flat()).size).toBe(50);
    expect(ctx.counters.failed).toBeGreaterThan(0);
    ctx.controller.abort();
    await run;
  });

  it("reports how many messages wait for the consumer and whether the server answers, as gauges", async () => {
    await bus.ensureStream(STREAMS.signals);
    await bus.ensureConsumer(STREAMS.signals, "counted");
    for (let i = 0; i < 5; i++)
      await bus.publishDurable(subjects.signal(), TradingSignal, signal(`p-${i}`), { msgId: `p-${i}` });
    const ctx = loopContext();
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const run = bus.runDurableBatchConsumer(
      {
        ...signalsConsumer("counted"),
        maxMessages: 2,
        statusIntervalMs: 50,
        batchHandler: async (messages) => {
          await held;
          await Promise.all(messages.map((m) => m.ack()));
        },
      },
      ctx,
    );
    // The handler holds its first batch: nothing is acked, so all five wait, at least the two it
    // holds delivered (the client may have pulled more into its buffer).
    await waitFor(
      "held counts",
      () =>
        (ctx.gauges.ackPending ?? 0) >= 2 && (ctx.gauges.pending ?? 0) + (ctx.gauges.ackPending ?? 0) === 5,
      5_000,
    );
    expect(ctx.gauges.connected).toBe(1);
    release();
    await waitFor("all acked", () => ctx.gauges.ackPending === 0 && ctx.gauges.pending === 0, 5_000);
    ctx.controller.abort();
    await run;
  });

  it("F05 a batch handler that hangs is no progress, however alive the connection; a stop then names its messages", async () => {
    await bus.ensureStream(STREAMS.signals);
    await bus.ensureConsumer(STREAMS.signals, "hung");
    const { cap, bus: watched } = await watchedBus("bus-test-hung");
    let progressed = 0;
    const ctx = {
      ...loopContext(),
      progress: () => {
        progressed += 1;
      },
    };
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let handling = false;
    const run = watched.runDurableBatchConsumer(
      {
        ...signalsConsumer("hung"),
        idleHeartbeatMs: 500,
        batchHandler: async (messages, alive) => {
          handling = true;
          alive();
          await held;
          await Promise.all(messages.map((m) => m.ack()));
        },
      },
      ctx,
    );
    // Idle, the server's beats show the consumer alive.
    await waitFor("idle beats counted", () => progressed >= 3, 5_000);
    await bus.publishDurable(subjects.signal(), TradingSignal, signal("h-1"), { msgId: "h-1" });
    await waitFor("handler entered", () => handling);
    const entered = progressed;
    // Three beats' time: none of them counts while the handler holds its batch.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(progressed).toBe(entered);
    ctx.controller.abort(new Error("stalled: no progress for 1500 ms"));
    const said = await waitFor(
      "the stop named the busy batch",
      () =>
        cap.find(
          "consumer stopped while its handler is still busy: those messages settle when it returns",
        )[0],
    );
    expect(said).toMatchObject({ level: "warn", seqs: [1], why: "Error: stalled: no progress for 1500 ms" });
    expect(said.busyMs).toBeGreaterThanOrEqual(1_500);
    release();
    await run;
    const info = () => bus.jsm.consumers.info(bus.ns.resource(STREAMS.signals.name), bus.ns.resource("hung"));
    await waitFor("acked once it returned", async () => (await info()).num_ack_pending === 0);
    await watched.drain();
  });

  it("F01 a durable consumer deleted on the server ends its binding at once, naming why, and the next binding creates it again and delivers", async () => {
    await bus.ensureStream(STREAMS.signals);
    const { cap, bus: watched } = await watchedBus("deleted");
    const got: string[] = [];
    const bind = (ctx = loopContext()) =>
      watched.runDurableConsumer(
        {
          ...signalsConsumer("deleted"),
          handler: async (m) => {
            got.push(m.data.signal_id ?? "");
            await m.ack();
          },
        },
        ctx,
      );
    try {
      // Created by its first binding: nothing declares it beforehand.
      // Its end is taken at once: it rejects while the test waits on other things.
      const first = bind().then(
        () => new Error("returned without an error"),
        (error: unknown) => error,
      );
      await bus.publishDurable(subjects.signal(), TradingSignal, signal("before"), { msgId: "before" });
      await waitFor("the first delivered", () => got.length === 1);
      await bus.jsm.consumers.delete(bus.ns.resource(STREAMS.signals.name), bus.ns.resource("deleted"));
      expect(String(await first)).toMatch(
        /^BusError: consumer \S+deleted on \S+ is gone from the server \(consumer_deleted\): created again at the restart$/,
      );
      expect(
        cap.find("jetstream consumer gone from the server: ending this binding to create it again"),
      ).toEqual([expect.objectContaining({ level: "warn", status: "consumer_deleted" })]);
      const ctx = loopContext();
      const second = bind(ctx);
      await bus.publishDurable(subjects.signal(), TradingSignal, signal("after"), { msgId: "after" });
      // Created again from the stream's start: what it had delivered comes again (settled downstream
      // by the signal's id), and nothing is lost.
      await waitFor("the next delivered", () => got.includes("after"));
      expect(got.filter((id) => id === "before").length).toBeGreaterThanOrEqual(1);
      ctx.controller.abort();
      await second;
    } finally {
      await watched.drain();
    }
  });

  it("F01 lastStored reads the last command kept on a subject; a stream deleted on the server holds none and is declared again, said at warn, so the next is kept", async () => {
    await bus.ensureStream(STREAMS.control);
    const { cap, bus: reader } = await watchedBus("reader");
    try {
      const command = (enabled: boolean) => ({ enabled, reason: `test ${enabled}`, actor: "test" });
      const kept = async () =>
        (await reader.lastStored(STREAMS.control, subjects.killSwitch(), KillSwitchCommand))?.data;
      bus.publish(subjects.killSwitch(), KillSwitchCommand, command(true));
      await waitFor("kept", async () => (await kept())?.enabled === true);
      const stream = bus.ns.resource(STREAMS.control.name);
      await bus.jsm.streams.delete(stream);
      expect(await kept()).toBeUndefined();
      expect(cap.find("jetstream stream gone from the server: declared again")).toEqual([
        expect.objectContaining({ level: "warn", stream }),
      ]);
      bus.publish(subjects.killSwitch(), KillSwitchCommand, command(false));
      await waitFor("kept again", async () => (await kept())?.enabled === false);
    } finally {
      await reader.drain();
    }
  });

  describe("F01 a publish finding its stream deleted on the server declares it again, said at warn, and is kept", () => {
    const gone = async () => {
      const { cap, bus: publisher } = await watchedBus("publisher");
      await publisher.ensureStream(STREAMS.signals);
      const stream = bus.ns.resource(STREAMS.signals.name);
      await bus.jsm.streams.delete(stream);
      const said = () => cap.find("jetstream stream gone from the server: declared again");
      return { publisher, stream, said };
    };

    it("one at a time", async () => {
      const { publisher, stream, said } = await gone();
      try {
        const ack = await publisher.publishDurable(
          subjects.signal("momentum"),
          TradingSignal,
          signal("d-1"),
          {
            msgId: "d-1",
          },
        );
        expect(ack).toMatchObject({ stream, seq: 1, duplicate: false });
        expect(said()).toEqual([
          expect.objectContaining({ level: "warn", stream, subject: "signals.trading.momentum" }),
        ]);
      } finally {
        await publisher.drain();
      }
    });

    it("in a batch, declared once for all its messages", async () => {
      const { publisher, stream, said } = await gone();
      try {
        const items = ["b-1", "b-2", "b-3"].map((id) => ({ value: signal(id), msgId: id }));
        const outcomes = await publisher.publishDurableBatch(subjects.signal(), TradingSignal, items);
        expect(outcomes.map((o) => (o instanceof BusError ? o.message : o.seq))).toEqual([1, 2, 3]);
        expect(said()).toHaveLength(1);
        expect((await bus.jsm.streams.info(stream)).state.messages).toBe(3);
      } finally {
        await publisher.drain();
      }
    });
  });

  it("F38 a stop asked for while a consumer is still binding ends it, instead of hanging until killed", async () => {
    await bus.ensureStream(STREAMS.signals);
    await bus.ensureConsumer(STREAMS.signals, "late-stop");
    const outcome = (run: Promise<void>) =>
      Promise.race([
        run.then(() => "stopped"),
        new Promise((resolve) => setTimeout(resolve, 5_000, "still running 5 s after the stop")),
      ]);
    // Aborted while the consumer lookup is in flight: the listener is added after the abort event.
    const durableCtx = loopContext();
    const durable = bus.runDurableBatchConsumer(
      {
        ...signalsConsumer("late-stop"),
        batchHandler: async () => {},
      },
      durableCtx,
    );
    durableCtx.controller.abort();
    const coreCtx = loopContext();
    coreCtx.controller.abort();
    const core = bus.runSubscription(
      { subject: "pings", schema: Ping, schemaName: "Ping", handler: async () => {} },
      coreCtx,
    );
    expect(await Promise.all([outcome(durable), outcome(core)])).toEqual(["stopped", "stopped"]);
  });

  it("dead-letters an invalid JetStream payload with its reason and terminates it", async () => {
    await bus.ensureStream(STREAMS.signals);
    await bus.ensureStream(STREAMS.deadLetters);
    await bus.ensureConsumer(STREAMS.signals, "engine");
    await bus.ensureConsumer(STREAMS.deadLetters, "audit");
    await bus.js.publish(
      `${ns.namespace}.signals.trading`,
      JSON.stringify({ strategy_id: "x", action: "maybe" }),
    );

    const ctx = loopContext();
    const run = bus.runDurableConsumer(
      {
        ...signalsConsumer("engine"),
        handler: async () => {},
      },
      ctx,
    );
    const dlq = await bus.js.consumers.get(
      `${ns.namespace}_${STREAMS.deadLetters.name}`,
      `${ns.namespace}_audit`,
    );
    const record = await waitFor("dead letter", async () =>
      (await dlq.next({ expires: 1000 }))?.json<{
        reason: string;
        subject: string;
        streamSequence: number;
      }>(),
    );
    expect(record.subject).toBe("signals.trading");
    expect(record.reason).toContain("action");
    expect(record.reason).toContain('"maybe"');
    expect(ctx.counters.invalid).toBe(1);
    ctx.controller.abort();
    await run;
  });

  it("F01 dead-letters at once when the dead-letter stream was deleted on the server: it is declared again, not left to a redelivery loop", async () => {
    await bus.ensureStream(STREAMS.signals);
    await bus.ensureStream(STREAMS.deadLetters);
    const deadLetters = bus.ns.resource(STREAMS.deadLetters.name);
    await bus.jsm.streams.delete(deadLetters);
    await bus.js.publish(`${ns.namespace}.signals.trading`, JSON.stringify({ action: "maybe" }));
    const ctx = loopContext();
    const run = bus.runDurableConsumer(
      {
        ...signalsConsumer("dlq-gone"),
        handler: async () => {},
      },
      ctx,
    );
    try {
      await waitFor("dead-lettered", () => ctx.counters.deadLettered === 1);
      const kept = await bus.jsm.streams.getMessage(deadLetters, { seq: 1 });
      expect(kept?.json()).toMatchObject({ subject: "signals.trading", streamSequence: 1 });
      expect(ctx.counters.failed).toBeUndefined();
    } finally {
      ctx.controller.abort();
      await run;
    }
  });
});
