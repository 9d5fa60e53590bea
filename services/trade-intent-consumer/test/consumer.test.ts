import { execFileSync } from "node:child_process";
import { parseConfig } from "@tradewire/config";
import { waitFor } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigSchema } from "../src/config.js";
import { fieldsToRecord } from "../src/decode.js";
import { environment, intentFields } from "./harness.js";

let env: Awaited<ReturnType<typeof environment>>;
beforeEach(async () => {
  env = await environment();
});
afterEach(async () => {
  await env.cleanup();
});

const realPayload = {
  symbol: "NEARUSDT",
  side: "BUY",
  confidence: "0.72",
  entry_price: "1.465",
  stop_loss: "1.4357",
  take_profit: "1.4943",
  position_size_usd: "200.0",
  leverage: "1",
  timestamp: "2025-12-24T04:32:14.062679",
  model: "ensemble",
};

function redisCliXadd(stream: string, fields: Record<string, string>): string {
  const port = new URL(env.redis.url).port || "6379";
  return execFileSync("redis-cli", ["-p", port, "XADD", stream, "*", ...Object.entries(fields).flat()], {
    encoding: "utf8",
  }).trim();
}

describe("trade-intent-consumer", () => {
  it("routes flat, envelope and data-wrapped, stale and invalid entries each to the right outcome", async () => {
    const { svc } = await env.start();
    const r = env.redis.redis;
    const fresh = Date.now();
    const flatId = await r.xadd(env.stream, "*", ...Object.entries(intentFields()).flat());
    const envId = await r.xadd(
      env.stream,
      "*",
      "event_type",
      "trade.intent",
      "trace_id",
      "tr-9",
      "payload",
      JSON.stringify({ symbol: "ETHUSDT", action: "SELL", confidence: 0.7, timestamp: fresh }),
    );
    const dataId = await r.xadd(
      env.stream,
      "*",
      "data",
      JSON.stringify({ symbol: "SOLUSDT", direction: "LONG", confidence: 0.9, timestamp: fresh / 1000 }),
    );
    const staleId = await r.xadd(
      env.stream,
      "*",
      ...Object.entries(intentFields({ timestamp: new Date(fresh - 3_600_000).toISOString() })).flat(),
    );
    const invalidId = await r.xadd(
      env.stream,
      "*",
      ...Object.entries(intentFields({ leverage: "500" })).flat(),
    );
    const emptyId = await r.xadd(env.stream, "*", "payload", "{}");

    await waitFor(
      "every entry settled",
      async () => {
        const pending = (await r.xpending(env.stream, "group"))[0];
        return pending === 0 && svc.processor.totals.processed === 6;
      },
      10_000,
    ).catch((error: unknown) => {
      throw new Error(`totals ${JSON.stringify(svc.processor.totals)}`, { cause: error });
    });
    const forwarded = await env.forwarded();
    expect(forwarded.map((f) => f.msgId)).toEqual([flatId, envId, dataId].map((id) => `${env.stream}:${id}`));
    expect(forwarded.map((f) => [f.intent.symbol, f.intent.action])).toEqual([
      ["BTCUSDT", "BUY"],
      ["ETHUSDT", "SELL"],
      ["SOLUSDT", "BUY"],
    ]);
    expect(forwarded[1]?.intent.trace_id).toBe("tr-9");
    expect(svc.processor.totals).toMatchObject({ forwarded: 3, stale: 1, deadLettered: 2 });

    const dlq = await r.xrange(`${env.stream}:dlq`, "-", "+");
    const records = dlq.map(([, fields]) => fieldsToRecord(fields));
    expect(records.map((d) => d.dlq_source_id)).toEqual([invalidId, emptyId]);
    expect(records[0]).toMatchObject({
      leverage: "500",
      dlq_delivery_count: "1",
      dlq_source_stream: env.stream,
    });
    expect(records[0]?.dlq_reason).toContain("leverage");
    expect(records[1]?.dlq_reason).toBe("envelope payload is empty");
    expect(staleId).toBeTruthy();
  });

  it("accepts the real payload written by redis-cli when fresh, and rejects it as stale as written", async () => {
    await env.start({ TRADE_INTENT_START: "new" });
    const freshId = redisCliXadd(env.stream, {
      ...realPayload,
      timestamp: new Date().toISOString().replace("Z", ""),
    });
    const staleId = redisCliXadd(env.stream, realPayload);
    await waitFor(
      "both settled",
      async () =>
        (await env.redis.redis.xpending(env.stream, "group"))[0] === 0 &&
        (await env.forwarded()).length === 1,
    );
    const [forwarded] = await env.forwarded();
    expect(forwarded?.msgId).toBe(`${env.stream}:${freshId}`);
    expect(forwarded?.intent).toMatchObject({
      symbol: "NEARUSDT",
      action: "BUY",
      entry_price: 1.465,
      leverage: 1,
      model: "ensemble",
    });
    expect(staleId).not.toBe(freshId);
  });

  it("F14 an intent stamped two hours ahead of when Redis stored it (local time from a UTC+2 host) goes on with the time it was stored, said at warn", async () => {
    const { cap } = await env.start({ TRADE_INTENT_START: "new" });
    const local = new Date(Date.now() + 2 * 3_600_000).toISOString().replace("Z", "");
    const id = redisCliXadd(env.stream, { ...realPayload, timestamp: local });
    await waitFor("forwarded", async () => (await env.forwarded()).length === 1, 10_000);
    const [forwarded] = await env.forwarded();
    expect(forwarded?.intent.timestamp).toBe(Number(id.split("-")[0]));
    const said = cap.find(
      "intent stamped later than Redis stored it: its producer's clock is ahead (or wrote local time); aged from when it was stored",
    );
    expect(said[0]).toMatchObject({ level: "warn", entryId: id, symbol: "NEARUSDT" });
    expect(said[0]?.aheadMs).toBeGreaterThan(2 * 3_600_000 - 5_000);
  });

  it("F21 SAFE_DRAIN consumes, validates and acks but forwards nothing, and says so in /ready", async () => {
    const { svc, cap } = await env.start({ TRADE_INTENT_SAFE_DRAIN: "true" });
    await env.redis.redis.xadd(env.stream, "*", ...Object.entries(intentFields()).flat());
    await waitFor("drained", () => svc.processor.totals.skippedDrain === 1);
    expect(await env.forwarded()).toEqual([]);
    expect((await env.redis.redis.xpending(env.stream, "group"))[0]).toBe(0);
    const ready = (await (await fetch(`http://127.0.0.1:${svc.supervisor.httpPort}/ready`)).json()) as {
      details: { mode: string };
    };
    expect(ready.details.mode).toContain("SAFE_DRAIN");
    expect(cap.find("SAFE_DRAIN MODE: intents are drained and acked, never forwarded")[0]?.level).toBe(
      "warn",
    );
  });

  it("F20 starts at new entries only by default, and at the whole backlog when asked", async () => {
    const r = env.redis.redis;
    await r.xadd(env.stream, "*", ...Object.entries(intentFields({ symbol: "OLDUSDT" })).flat());
    const { svc } = await env.start({ TRADE_INTENT_START: "new" });
    await r.xadd(env.stream, "*", ...Object.entries(intentFields({ symbol: "NEWUSDT" })).flat());
    await waitFor("new entry forwarded", async () => (await env.forwarded()).length === 1);
    expect((await env.forwarded()).map((f) => f.intent.symbol)).toEqual(["NEWUSDT"]);
    await svc.stop("switch");

    await env.start({ TRADE_INTENT_GROUP: "backlog-group", TRADE_INTENT_START: "backlog", HTTP_PORT: "0" });
    await waitFor("backlog replayed", async () => (await env.forwarded()).length === 2);
    // The backlog group re-reads NEWUSDT too; the Nats-Msg-Id dedup stores it once.
    expect((await env.forwarded()).map((f) => f.intent.symbol)).toEqual(["NEWUSDT", "OLDUSDT"]);
  });

  it("F19 re-processes its own pending entries after a restart before reading new ones", async () => {
    const r = env.redis.redis;
    await r.xgroup("CREATE", env.stream, "group", "$", "MKSTREAM");
    for (let i = 0; i < 5; i++)
      await r.xadd(env.stream, "*", ...Object.entries(intentFields({ model: `p${i}` })).flat());
    // The previous run of this consumer read them and died before acking: they are pending on it.
    await r.xreadgroup("GROUP", "group", "same-pod", "COUNT", 10, "STREAMS", env.stream, ">");
    expect((await r.xpending(env.stream, "group"))[0]).toBe(5);
    // Reclaim is far away: only reading its own pending list (ID 0) can find them.
    await env.start({ TRADE_INTENT_CONSUMER: "same-pod", TRADE_INTENT_RECLAIM_IDLE_MS: "3600000" });
    await waitFor(
      "own pending forwarded",
      async () => (await env.forwarded()).length === 5 && (await r.xpending(env.stream, "group"))[0] === 0,
      10_000,
    );
    expect((await env.forwarded()).map((f) => f.intent.model).sort()).toEqual(["p0", "p1", "p2", "p3", "p4"]);
  });

  it("F23 refuses an unbounded BLOCK, so an empty stream can never hang the loop", () => {
    expect(() => parseConfig("trade-intent-consumer", ConfigSchema, { TRADE_INTENT_BLOCK_MS: "0" })).toThrow(
      /TRADE_INTENT_BLOCK_MS/,
    );
  });

  it("recovers when the group is deleted under it (NOGROUP)", async () => {
    const { cap } = await env.start();
    const r = env.redis.redis;
    await waitFor("group exists", async () => (await r.exists(env.stream)) === 1);
    await r.xgroup("DESTROY", env.stream, "group");
    await waitFor(
      "group recreated",
      () => cap.find("consumer group missing; recreating it").length > 0,
      5000,
    );
    await r.xadd(env.stream, "*", ...Object.entries(intentFields()).flat());
    await waitFor("forwarded after recovery", async () => (await env.forwarded()).length === 1);
  });
});
