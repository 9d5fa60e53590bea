import { captureLogger } from "@tradewire/logger";
import { subjects, TradingSignal } from "@tradewire/schemas";
import { PrivateNatsServer, waitFor } from "@tradewire/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Bus } from "../src/bus.js";
import { STREAMS } from "../src/streams.js";
import { loopContext, signalsConsumer, silent } from "./helpers.js";

let server: PrivateNatsServer;
beforeAll(async () => {
  server = await PrivateNatsServer.start();
});
afterAll(async () => {
  await server.dispose();
});

const signal = (i: number) => ({
  signal_id: `sig-${i}`,
  strategy_id: "restart",
  symbol: "ETHUSDT",
  action: "sell",
  confidence: 0.7,
  timestamp: Date.now(),
});

describe("Bus across a NATS server restart", () => {
  it("reconnects, resubscribes and loses no JetStream message", async () => {
    const bus = await Bus.connect({ servers: server.url, name: "restart-test", logger: silent });
    await bus.ensureStream(STREAMS.signals);
    await bus.ensureConsumer(STREAMS.signals, "engine");

    const seen = new Map<string, number>();
    const ctx = loopContext();
    const consumer = bus.runDurableConsumer(
      {
        ...signalsConsumer("engine"),
        handler: async (m) => {
          seen.set(m.data.signal_id ?? "", (seen.get(m.data.signal_id ?? "") ?? 0) + 1);
          await m.ack();
        },
      },
      ctx,
    );
    const coreCtx = loopContext();
    const pings: number[] = [];
    const Ping = z.object({ n: z.number() });
    const core = bus.runSubscription(
      { subject: "test.ping", schema: Ping, schemaName: "Ping", handler: (m) => void pings.push(m.data.n) },
      coreCtx,
    );

    for (let i = 0; i < 25; i++)
      await bus.publishDurable(subjects.signal(), TradingSignal, signal(i), { msgId: `sig-${i}` });
    await waitFor("first batch", () => seen.size === 25);

    await server.stop();
    await waitFor("client notices the outage", () => !bus.isConnected(), 10_000);
    await server.restart();
    await waitFor("client reconnects", () => bus.isConnected(), 15_000);

    for (let i = 25; i < 50; i++) {
      await waitFor(
        `publish ${i}`,
        () =>
          bus
            .publishDurable(subjects.signal("restart"), TradingSignal, signal(i), { msgId: `sig-${i}` })
            .then(() => true),
        10_000,
      );
    }
    await waitFor("second batch after restart", () => seen.size === 50, 20_000);
    // Nothing lost. The first batch is counted before its acks are confirmed, so the last ack can
    // still be in flight when the server stops, and that message comes again (JetStream is
    // at-least-once; the engine dedups by id). Anything published after the restart comes once.
    const redelivered = [...seen].filter(([, n]) => n > 1).map(([id]) => Number(id.slice("sig-".length)));
    expect(redelivered.filter((i) => i >= 25)).toEqual([]);

    await waitFor(
      "core subscription resumed",
      () => {
        bus.publish("test.ping", Ping, { n: 1 });
        return pings.length > 0;
      },
      10_000,
    );

    ctx.controller.abort();
    coreCtx.controller.abort();
    await consumer;
    await core;
    await bus.drain();
  }, 60_000);

  it("F17 a core publish while NATS is down says it was not sent (nats.js would discard it silently), and sends again once reconnected", async () => {
    const bus = await Bus.connect({ servers: server.url, name: "outage-publisher", logger: silent });
    const Ping = z.object({ n: z.number() });
    try {
      expect(bus.publish("test.outage", Ping, { n: 0 })).toBe(true);
      await server.stop();
      await waitFor("client notices the outage", () => !bus.isConnected(), 10_000);
      expect(bus.publish("test.outage", Ping, { n: 1 })).toBe(false);
      expect(bus.publishEncoded("test.outage", new TextEncoder().encode('{"n":2}'))).toBe(false);
      await server.restart();
      await waitFor("client reconnects", () => bus.isConnected(), 15_000);
      const received: number[] = [];
      const ctx = loopContext();
      const sub = bus.runSubscription(
        {
          subject: "test.outage",
          schema: Ping,
          schemaName: "Ping",
          handler: (m) => void received.push(m.data.n),
        },
        ctx,
      );
      await bus.nc.flush();
      expect(bus.publish("test.outage", Ping, { n: 3 })).toBe(true);
      await waitFor("published after the restart", () => received.includes(3), 5_000);
      expect(received).toEqual([3]);
      ctx.controller.abort();
      await sub;
    } finally {
      await bus.drain();
    }
  }, 60_000);
  it("F17 a server that hangs with the socket open (no answer, no close) is noticed within seconds: core publishes are refused until it answers again", async () => {
    const cap = captureLogger("bus");
    const bus = await Bus.connect({ servers: server.url, name: "hang-publisher", logger: cap.logger });
    const Ping = z.object({ n: z.number() });
    try {
      expect(bus.publish("test.hang", Ping, { n: 0 })).toBe(true);
      const frozenAt = Date.now();
      server.pause();
      // nats.js itself would call the connection stale only after three pings 10 s apart.
      await waitFor("the silence noticed", () => !bus.isConnected(), 5_000, 50);
      expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(3_000);
      expect(bus.publish("test.hang", Ping, { n: 1 })).toBe(false);
      const said = cap.find(
        "nats server not answering pings: core publishes are refused until it answers (nats.js reconnects once it calls the connection stale)",
      );
      expect(said).toHaveLength(1);
      expect(said[0]).toMatchObject({ level: "warn", waitedMs: expect.any(Number) });
      server.resume();
      await waitFor("answering again", () => bus.isConnected(), 5_000, 50);
      expect(cap.find("nats server answering again")[0]).toMatchObject({
        level: "info",
        silentMs: expect.any(Number),
      });
      expect(bus.publish("test.hang", Ping, { n: 2 })).toBe(true);
    } finally {
      server.resume();
      await bus.drain();
    }
  }, 30_000);
});
