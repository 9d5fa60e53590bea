import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { natsNamespace } from "../src/nats.js";
import { pgSchema } from "../src/postgres.js";
import { redisScope } from "../src/redis.js";
import { sharedDataDir } from "../src/shared-data.js";
import { waitFor } from "../src/wait.js";

describe("testkit isolation helpers", () => {
  it("gives each test its own PostgreSQL schema through search_path, and drops it", async () => {
    const db = await pgSchema();
    await db.pool.query("create table probe (id int)");
    const { rows } = await db.pool.query<{ schemaname: string }>(
      "select schemaname from pg_tables where tablename = 'probe'",
    );
    expect(rows.map((r) => r.schemaname)).toContain(db.schema);
    await db.cleanup();
    const admin = await pgSchema();
    const gone = await admin.pool.query("select 1 from information_schema.schemata where schema_name = $1", [
      db.schema,
    ]);
    expect(gone.rowCount).toBe(0);
    await admin.cleanup();
  });

  it("scopes Redis keys under a unique prefix and deletes them on cleanup", async () => {
    const a = await redisScope();
    const b = await redisScope();
    expect(a.prefix).not.toBe(b.prefix);
    await a.redis.set(a.key("x"), "1");
    await a.redis.xadd(a.key("stream"), "*", "f", "v");
    await a.cleanup();
    expect(await b.redis.exists(a.key("x"), a.key("stream"))).toBe(0);
    await b.cleanup();
  });

  it("deletes the JetStream streams created under a NATS namespace", async () => {
    const ns = await natsNamespace();
    const nc = await connect({ servers: ns.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: `${ns.namespace}_PROBE`, subjects: [`${ns.namespace}.probe`] });
    await ns.cleanup();
    await expect(jsm.streams.info(`${ns.namespace}_PROBE`)).rejects.toThrow(/stream not found/);
    await nc.close();
  });

  it("finds the shared data folder beside the repository", () => {
    expect(sharedDataDir()).toMatch(/shared\/data$/);
  });

  it("waitFor names what it waited for when it times out", async () => {
    await expect(waitFor("the moon", () => false, 50)).rejects.toThrow("waiting for the moon");
  });
});

describe("PrivateRedisServer", () => {
  it("keeps streams across a stop and restart (outage drills)", async () => {
    const { PrivateRedisServer } = await import("../src/redis-server.js");
    const { Redis } = await import("ioredis");
    const server = await PrivateRedisServer.start();
    const client = new Redis(server.url, { maxRetriesPerRequest: null });
    await client.xadd("s", "*", "k", "v");
    await server.stop();
    await server.restart();
    expect(await client.xlen("s")).toBe(1);
    client.disconnect();
    await server.dispose();
  });
});
