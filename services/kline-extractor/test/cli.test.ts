import { PassThrough } from "node:stream";
import { connect } from "@nats-io/transport-node";
import { captureLogger } from "@tradewire/logger";
import { subjects } from "@tradewire/schemas";
import { natsNamespace, pgSchema, TcpProxy, waitFor } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../src/run-cli.js";
import { countStored } from "../src/storage/index.js";
import { loadCandleRows } from "./candles.js";
import { RowsSource } from "./helpers.js";

const btc = loadCandleRows().slice(0, 3000);
let db: Awaited<ReturnType<typeof pgSchema>>;
let ns: Awaited<ReturnType<typeof natsNamespace>>;
beforeEach(async () => {
  db = await pgSchema("kxcli");
  ns = await natsNamespace("kxcli");
});
afterEach(async () => {
  await db.cleanup();
  await ns.cleanup();
});

function io(env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => (out += c.toString()));
  stderr.on("data", (c: Buffer) => (err += c.toString()));
  const cap = captureLogger("kline-extractor");
  return {
    cap,
    out: () => out,
    err: () => err,
    io: {
      env: { DATABASE_URL: db.url, NATS_URL: ns.url, TRADEWIRE_NAMESPACE: ns.namespace, ...env },
      stdout,
      stderr,
      logger: cap.logger,
      makeSource: () => new RowsSource({ BTCUSDT: btc, ETHUSDT: btc }),
    },
  };
}

describe("tradewire-klines CLI", () => {
  it("backfills several symbols, prints a summary table and publishes per-symbol and batch events", async () => {
    const nc = await connect({ servers: ns.url });
    const got: string[] = [];
    const sub = nc.subscribe(`${ns.namespace}.binance.extraction.>`, {
      callback: (_e, m) => {
        got.push(m.subject.slice(ns.namespace.length + 1));
      },
    });
    await nc.flush();
    const t = io();
    const result = await runCli(
      [
        "--",
        "backfill",
        "--symbols",
        "BTCUSDT,ETHUSDT",
        "--period",
        "1m",
        "--start",
        "2023-03-16",
        "--end",
        "2023-03-20",
      ],
      t.io,
    );
    expect(result.exitCode).toBe(0);
    expect(await countStored(db.pool, { market: "spot", symbol: "ETHUSDT", interval: "1m" })).toBe(3000);
    expect(t.err()).toMatch(/BTCUSDT\s+ok\s+\d+\s+3000\s+3000/);
    expect(t.cap.find("extraction run complete")[0]).toMatchObject({ written: 6000, failed: [] });
    await waitFor("3 events", () => got.length === 3);
    expect(got.sort()).toEqual(
      [
        subjects.extraction("klines", "BTCUSDT", "1m"),
        subjects.extraction("klines", "ETHUSDT", "1m"),
        subjects.extractionBatch("klines", "1m"),
      ].sort(),
    );
    sub.unsubscribe();
    await nc.close();
  });

  it("exits 2 naming the flag and value on bad arguments, and 1 when a symbol failed", async () => {
    const bad = io();
    expect(
      (
        await runCli(
          ["backfill", "--symbols", "BTCUSDT", "--interval", "2m", "--start", "2023-03-16"],
          bad.io,
        )
      ).exitCode,
    ).toBe(2);
    expect(bad.err()).toContain('--interval: "2m" is not one of');
    const failing = io({ NATS_ENABLED: "false" });
    const result = await runCli(
      ["incremental", "--symbols", "NOPEUSDT", "--interval", "1m", "--start", "2023-03-16"],
      failing.io,
    );
    expect(result.exitCode).toBe(1);
    expect(failing.err()).toContain("error NOPEUSDT: -1121: Invalid symbol.");
  });

  it("F05 a database that hangs fails the run within DATABASE_CONNECT_TIMEOUT_MS, naming where, instead of holding it without a word", async () => {
    const proxy = await TcpProxy.start(Number(new URL(db.url).port || 5432));
    try {
      proxy.freeze();
      const t = io({
        DATABASE_URL: proxy.route(db.url),
        DATABASE_CONNECT_TIMEOUT_MS: "500",
        NATS_ENABLED: "false",
      });
      const asked = Date.now();
      const result = await runCli(["incremental", "--symbols", "BTCUSDT", "--interval", "1m"], t.io);
      expect(result.exitCode).toBe(1);
      expect(Date.now() - asked).toBeLessThan(5_000);
      expect(t.err()).toMatch(
        new RegExp(
          `^cannot use PostgreSQL at 127\\.0\\.0\\.1:${proxy.port}/test \\(DATABASE_URL\\): .*timeout.*\n$`,
        ),
      );
    } finally {
      await proxy.close();
    }
  });

  it("a database that refuses connections is one line naming where and why (no stack, no credentials), exit code 1", async () => {
    const t = io({ DATABASE_URL: "postgres://trader:s3cret@127.0.0.1:1/test", NATS_ENABLED: "false" });
    const result = await runCli(["incremental", "--symbols", "BTCUSDT", "--interval", "1m"], t.io);
    expect(result.exitCode).toBe(1);
    expect(t.err()).toBe(
      "cannot use PostgreSQL at 127.0.0.1:1/test (DATABASE_URL): ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1\n",
    );
  });

  it("completes the run with NATS down, counting the unpublished events", async () => {
    const t = io({ NATS_URL: "nats://127.0.0.1:1", NATS_CONNECT_TIMEOUT_MS: "200" });
    const result = await runCli(
      ["backfill", "--symbols", "BTCUSDT", "--interval", "1m", "--start", "2023-03-16"],
      t.io,
    );
    expect(result).toMatchObject({ exitCode: 0, eventFailures: 1 });
    expect(t.cap.find("completion event not published")[0]).toMatchObject({
      level: "warn",
      symbol: "BTCUSDT",
    });
  });

  it("rejects a bad environment with one message listing the variable", async () => {
    const t = io({ NATS_ENABLED: "maybe" });
    expect((await runCli(["incremental", "--symbols", "BTCUSDT", "--interval", "1m"], t.io)).exitCode).toBe(
      2,
    );
    expect(t.err()).toContain("NATS_ENABLED");
  });
});
