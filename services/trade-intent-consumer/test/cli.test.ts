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
