import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { waitFor } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IntentAdmin } from "../src/admin.js";
import { environment, intentFields } from "./harness.js";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

let env: Awaited<ReturnType<typeof environment>>;
beforeEach(async () => {
  env = await environment();
});
afterEach(async () => {
  await env.cleanup();
});

describe("tradewire-intents", () => {
  it("replays a fixed dead-lettered entry into the stream, where it is forwarded", async () => {
    const { svc } = await env.start();
    const r = env.redis.redis;
    await r.xadd(env.stream, "*", ...Object.entries(intentFields({ leverage: "500" })).flat());
    await waitFor("dead-lettered", async () => (await r.xlen(`${env.stream}:dlq`)) === 1);
    const admin = new IntentAdmin(r, env.config());
    const [entry] = await admin.dlqList();
    expect(entry?.fields.dlq_reason).toContain("leverage");
    // The operator fixes the entry, then replays it.
    await r.xdel(`${env.stream}:dlq`, entry?.id ?? "");
    await r.xadd(
      `${env.stream}:dlq`,
      "*",
      ...Object.entries(intentFields({ leverage: "5" })).flat(),
      "dlq_reason",
      "fixed",
    );
    const { replayed } = await admin.dlqReplay();
    expect(replayed).toHaveLength(1);
    await waitFor("replayed intent forwarded", async () => (await env.forwarded()).length === 1);
    expect((await env.forwarded())[0]?.intent.leverage).toBe(5);
    expect(await r.xlen(`${env.stream}:dlq`)).toBe(0);
    expect(svc.processor.totals.forwarded).toBe(1);
  });

  it("F20 a replayed intent keeps the id and the age it was first stored with: one stored too long ago is stale, and a replay done twice is forwarded once", async () => {
    const { svc, cap } = await env.start({ TRADE_INTENT_START: "new" });
    const r = env.redis.redis;
    const dlq = `${env.stream}:dlq`;
    const { timestamp: _, ...untimed } = intentFields();
    const deadLetter = (sourceId: string) =>
      r.xadd(dlq, "*", ...Object.entries(untimed).flat(), "dlq_reason", "poison", "dlq_source_id", sourceId);
    // Dead-lettered ten minutes ago (max age five), and one minute ago.
    const old = `${Date.now() - 10 * 60_000}-0`;
    const recent = `${Date.now() - 60_000}-0`;
    await deadLetter(old);
    await deadLetter(recent);
    const admin = new IntentAdmin(r, env.config());
    expect((await admin.dlqReplay()).replayed).toHaveLength(2);
    expect(await r.xlen(dlq)).toBe(0);
    await waitFor("both settled", () => svc.processor.totals.processed === 2);
    expect(cap.find("intent stale; acked, not forwarded")[0]).toMatchObject({
      intentId: `${env.stream}:${old}`,
      timeSource: "entry_id",
    });
    await waitFor("the recent one forwarded", async () => (await env.forwarded()).length === 1);
    const [forwarded] = await env.forwarded();
    expect(forwarded).toMatchObject({
      msgId: `${env.stream}:${recent}`,
      intent: { intent_id: `${env.stream}:${recent}`, timestamp: Number(recent.split("-")[0]) },
    });
    // Replayed again (an operator's second run): the same intent, stored once downstream.
    await deadLetter(recent);
    await admin.dlqReplay();
    await waitFor("the second replay settled", () => svc.processor.totals.processed === 3);
    expect(await env.forwarded()).toHaveLength(1);
  });

  it("prints status as a table and publishes a valid test intent", async () => {
    await env.start();
    const environ = { ...process.env, ...env.env() };
    const published = await run(process.execPath, ["--import", "tsx", cli, "publish-test"], { env: environ });
    expect(published.stdout).toMatch(/test intent written: \d+-\d+/);
    await waitFor("test intent forwarded", async () => (await env.forwarded()).length === 1);
    const status = await run(process.execPath, ["--import", "tsx", cli, "status"], { env: environ });
    expect(status.stdout).toContain(`stream ${env.stream}: 1 entries`);
    expect(status.stdout).toMatch(/group\s+consumers\s+pending\s+lag/);
    expect(status.stdout).toMatch(/c1\s+0\s+\d+ s/);
  });

  it("rejects a bad position with a clear message", async () => {
    const environ = { ...process.env, ...env.env() };
    await env.start();
    await expect(
      run(process.execPath, ["--import", "tsx", cli, "set-position", "yesterday"], { env: environ }),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining('invalid position "yesterday"'),
    });
  });
});
