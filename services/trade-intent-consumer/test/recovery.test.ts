import { fileURLToPath } from "node:url";
import { Bus, STREAMS } from "@tradewire/bus";
import { createSilentLogger } from "@tradewire/logger";
import {
  fillStream,
  PrivateNatsServer,
  PrivateRedisServer,
  ServiceProcess,
  waitFor,
} from "@tradewire/testkit";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fieldsToRecord } from "../src/decode.js";
import { listConsumers } from "../src/group.js";
import { environment, intentFields } from "./harness.js";

let env: Awaited<ReturnType<typeof environment>>;
beforeEach(async () => {
  env = await environment();
});
afterEach(async () => {
  await env.cleanup();
});

async function fill(n: number, extra: Record<string, string> = {}): Promise<void> {
  const pipeline = env.redis.redis.pipeline();
  for (let i = 0; i < n; i++)
    pipeline.xadd(env.stream, "*", ...Object.entries(intentFields({ model: `m${i}`, ...extra })).flat());
  await pipeline.exec();
}

describe("reclaim, ghosts and crashes", () => {
  it("F18 reclaims entries pending on a ghost consumer, then removes the ghost", async () => {
    const r = env.redis.redis;
    await r.xgroup("CREATE", env.stream, "group", "$", "MKSTREAM");
    await fill(3);
    await r.xreadgroup("GROUP", "group", "ghost-pod-1", "COUNT", 10, "STREAMS", env.stream, ">");
    expect((await r.xpending(env.stream, "group"))[0]).toBe(3);

    const { cap } = await env.start({
      TRADE_INTENT_RECLAIM_IDLE_MS: "200",
      TRADE_INTENT_RECLAIM_INTERVAL_MS: "100",
      TRADE_INTENT_GHOST_IDLE_MS: "1000",
    });
    await waitFor("ghost's entries forwarded", async () => (await env.forwarded()).length === 3);
    await waitFor("ghost removed", () => cap.find("ghost consumer removed").length === 1, 5_000);
    expect((await listConsumers(r, env.stream, "group")).map((c) => c.name)).toEqual(["c1"]);
    expect(cap.find("reclaimed idle entries from other consumers")[0]).toMatchObject({ count: 3 });
  });

  it("dead-letters a poison entry delivered more than MAX_DELIVERIES times instead of looping", async () => {
    const r = env.redis.redis;
    await r.xgroup("CREATE", env.stream, "group", "$", "MKSTREAM");
    await fill(1);
    const [id] = await r.xrange(env.stream, "-", "+").then((rows) => rows.map(([entryId]) => entryId));
    await r.xreadgroup("GROUP", "group", "ghost", "STREAMS", env.stream, ">");
    await r.xclaim(env.stream, "group", "ghost", 0, id ?? "", "RETRYCOUNT", 9);
    await env.start({
      TRADE_INTENT_RECLAIM_IDLE_MS: "100",
      TRADE_INTENT_RECLAIM_INTERVAL_MS: "100",
      TRADE_INTENT_MAX_DELIVERIES: "5",
    });
    await waitFor("poison dead-lettered", async () => (await r.xlen(`${env.stream}:dlq`)) === 1, 15_000);
    const [record] = (await r.xrange(`${env.stream}:dlq`, "-", "+")).map(([, fields]) =>
      fieldsToRecord(fields),
    );
    expect(record).toMatchObject({ dlq_source_id: id, dlq_delivery_count: "10" });
    expect(record?.dlq_reason).toContain("poison");
    expect(await env.forwarded()).toEqual([]);
  });

  it("F21 JetStream refusing every publish for more retries than MAX_DELIVERIES leaves the intents pending, never dead-lettered as poison; they go out once it takes them", async () => {
    const r = env.redis.redis;
    const dlq = `${env.stream}:dlq`;
    await r.xgroup("CREATE", env.stream, "group", "$", "MKSTREAM");
    // The intents stream out of storage: JetStream refuses each publish at once.
    const lift = await fillStream(env.bus.jsm, env.bus.ns.resource(STREAMS.intents.name));
    const { svc } = await env.start({ TRADE_INTENT_MAX_DELIVERIES: "2" });
    await fill(3);
    // Four rounds of three refused publishes: two past what MAX_DELIVERIES allows reads.
    await waitFor(
      "four refused rounds, or a dead letter",
      async () => svc.processor.totals.publishFailed >= 12 || (await r.xlen(dlq)) > 0,
      15_000,
    );
    expect(await r.xlen(dlq)).toBe(0);
    await lift();
    await waitFor("all forwarded", async () => (await env.storedCount()) === 3, 15_000);
    await waitFor("nothing pending", async () => (await r.xpending(env.stream, "group"))[0] === 0);
    expect(await r.xlen(dlq)).toBe(0);
    expect(svc.processor.totals.deadLettered).toBe(0);
  });

  it("a dead-letter write Redis keeps refusing leaves the entry pending and retried with backoff, not re-read in a spin; once it can be, it is dead-lettered for its own reason", async () => {
    const r = env.redis.redis;
    const dlq = `${env.stream}:dlq`;
    await r.xgroup("CREATE", env.stream, "group", "$", "MKSTREAM");
    // A key of another type where the DLQ stream should be: every XADD to it fails (WRONGTYPE).
    await r.set(dlq, "not a stream");
    // Read before a restart: pending on this consumer, so the start re-reads its pending list.
    await r.xadd(env.stream, "*", ...Object.entries(intentFields({ confidence: "2" })).flat());
    await r.xreadgroup("GROUP", "group", "c1", "STREAMS", env.stream, ">");
    const { cap } = await env.start({ TRADE_INTENT_MAX_DELIVERIES: "2" });
    const refusals = () => cap.find("dead-letter write failed; entry left pending");
    await waitFor("the write refused", () => refusals().length > 0, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Backing off from 250 ms: a handful in 1.5 s, where a spin re-read it thousands of times.
    expect(refusals().length).toBeLessThanOrEqual(8);
    expect(refusals()[0]?.err).toMatchObject({ message: expect.stringContaining("WRONGTYPE") });
    await r.del(dlq);
    await waitFor("dead-lettered", async () => (await r.xlen(dlq)) === 1, 10_000);
    const [record] = (await r.xrange(dlq, "-", "+")).map(([, fields]) => fieldsToRecord(fields));
    expect(record?.dlq_reason).toMatch(/^invalid TradeIntent: confidence/);
    // Its read before the restart and the one that wrote it: the refused ones did not count.
    expect(record?.dlq_delivery_count).toBe("2");
    await waitFor("nothing pending", async () => (await r.xpending(env.stream, "group"))[0] === 0);
  });

  const TOTAL = 20_000;
  it("finishes a SIGKILLed consumer's in-flight batch on another replica with no loss and no duplicate", async () => {
    await env.redis.redis.xgroup("CREATE", env.stream, "group", "$", "MKSTREAM");
    // Enough that the victim is still mid-backlog when it dies, however fast it drains.
    await fill(TOTAL);
    const victim = new ServiceProcess({
      name: "victim",
      entry: fileURLToPath(new URL("../src/main.ts", import.meta.url)),
      env: {
        ...env.env({
          TRADE_INTENT_CONSUMER: "victim",
          HTTP_PORT: "0",
          TRADE_INTENT_BATCH_SIZE: "500",
        }),
      },
    }).start();
    await waitFor("victim forwarding", () => victim.find("intent batch settled").length > 0, 20_000);
    await victim.stop("SIGKILL");

    const { svc } = await env.start({
      TRADE_INTENT_CONSUMER: "rescuer",
      TRADE_INTENT_RECLAIM_IDLE_MS: "300",
      TRADE_INTENT_RECLAIM_INTERVAL_MS: "200",
    });
    await waitFor(
      `all ${TOTAL} settled`,
      async () =>
        (await env.redis.redis.xpending(env.stream, "group"))[0] === 0 && (await env.storedCount()) >= TOTAL,
      30_000,
    );
    const ids = await env.forwardedIds();
    expect(ids).toHaveLength(TOTAL);
    expect(new Set(ids).size).toBe(TOTAL);
    expect(svc.processor.totals.reclaimed).toBeGreaterThan(0);
  }, 60_000);
});

describe("NATS outage", () => {
  let server: PrivateNatsServer;
  beforeEach(async () => {
    server = await PrivateNatsServer.start();
  });
  afterEach(async () => {
    await server.dispose();
  });

  it("pauses acks while NATS is down and resumes with no loss", async () => {
    const { svc } = await env.start({ NATS_URL: server.url, TRADEWIRE_NAMESPACE: "" });
    const observer = await Bus.connect({
      servers: server.url,
      name: "observer",
      logger: createSilentLogger(),
    });
    const count = async () => (await observer.jsm.streams.info(STREAMS.intents.name)).state.messages;
    await fill(10);
    await waitFor("first 10 forwarded", async () => (await count()) === 10);
    await observer.drain();

    await server.stop();
    await fill(10);
    await waitFor("publish failures noticed", () => svc.processor.totals.publishFailed > 0, 15_000);
    expect((await env.redis.redis.xpending(env.stream, "group"))[0]).toBeGreaterThan(0);
    const ready = await fetch(`http://127.0.0.1:${svc.supervisor.httpPort}/ready`);
    expect(ready.status).toBe(503);

    await server.restart();
    const after = await Bus.connect({ servers: server.url, name: "observer2", logger: createSilentLogger() });
    await waitFor(
      "all 20 forwarded once",
      async () => (await after.jsm.streams.info(STREAMS.intents.name)).state.messages === 20,
      30_000,
    );
    await waitFor(
      "nothing pending",
      async () => (await env.redis.redis.xpending(env.stream, "group"))[0] === 0,
      10_000,
    );
    await after.drain();
  }, 60_000);
});

describe("Redis that hangs with the connection open", () => {
  let server: PrivateRedisServer;
  beforeEach(async () => {
    server = await PrivateRedisServer.start();
  });
  afterEach(async () => {
    server.resume();
    await server.dispose();
  });

  it("F23 is said within seconds and turns /ready false; the reader is held back, not stalled and restarted, and carries on once it answers", async () => {
    const { svc, cap } = await env.start({ REDIS_URL: server.url, TRADE_INTENT_STREAM: "intents" });
    const producer = new Redis(server.url);
    const add = (model: string) =>
      producer.xadd("intents", "*", ...Object.entries(intentFields({ model })).flat());
    const ready = async () => (await fetch(`http://127.0.0.1:${svc.supervisor.httpPort}/ready`)).status;
    try {
      await add("before");
      await waitFor("forwarded before", async () => (await env.storedCount()) === 1, 10_000);
      const frozenAt = Date.now();
      server.pause();
      const silent = await waitFor(
        "the silence said",
        () => cap.find("redis not answering pings: intents wait until it answers")[0],
        6_000,
        50,
      );
      expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(3_000);
      expect(silent).toMatchObject({ level: "warn", waitedMs: expect.any(Number) });
      expect(await ready()).toBe(503);
      await waitFor(
        "the reader held back",
        () => cap.find("task held back by what no restart helps; not counted as a stall")[0],
        3_000,
      );
      server.resume();
      await waitFor("answering again", () => cap.find("redis answering again")[0], 5_000);
      await add("after");
      await waitFor("forwarded after", async () => (await env.storedCount()) === 2, 10_000);
      expect(await ready()).toBe(200);
      expect(cap.find("task stalled")).toEqual([]);
      expect(cap.find("task restarting")).toEqual([]);
    } finally {
      producer.disconnect();
    }
  }, 60_000);
});
