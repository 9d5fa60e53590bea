import { createSilentLogger } from "@tradewire/logger";
import { TcpProxy, waitFor } from "@tradewire/testkit";
import { describe, expect, it, onTestFinished } from "vitest";
import { clientOrderIdFor } from "../src/engine.js";
import { EngineStore } from "../src/store.js";
import { exchangeSuite, testnetSettings } from "./harness.js";
import { delayWrites } from "./refuse-writes.js";

describe("a database that hangs or holds decisions up", () => {
  const t = exchangeSuite();

  it("F05 a database that hangs with its connections open is said within seconds, turns /ready false and holds the consumers back; the signal is decided once it answers", async () => {
    const proxy = await TcpProxy.start(Number(new URL(t.env.db.url).port || 5432));
    // After the suite's cleanup has stopped the engine through it.
    onTestFinished(() => proxy.close());
    try {
      // A stall deadline the hang outlasts: without the hold the consumer would be restarted into it.
      const engine = await t.env.start({ DATABASE_URL: proxy.route(t.env.db.url), CONSUMER_STALL_S: "3" });
      await t.env.quote("BTCUSDT", 30_000);
      await t.env.signal("before");
      await t.env.waitEvent("before", "filled");
      const ready = async () =>
        (await fetch(`${engine.url}/ready`, { signal: AbortSignal.timeout(5_000) })).status;
      expect(await ready()).toBe(200);
      const frozenAt = Date.now();
      proxy.freeze();
      await t.env.signal("during");
      const silent = "postgres not answering pings: decisions, fills and exits wait until it answers";
      await waitFor("the silence said", () => engine.cap.find(silent).length > 0, 6_000);
      expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(3_000);
      expect(await ready()).toBe(503);
      await waitFor(
        "the signal consumer held back",
        () =>
          engine.cap
            .find("task held back by what no restart helps; not counted as a stall")
            .some((l) => l.task === "signal-consumer" && l.pausedBy === "postgres not answering pings"),
        3_000,
      );
      // Past the 3 s deadline twice over, still no stall.
      await new Promise((r) => setTimeout(r, 4_000));
      proxy.thaw();
      await waitFor("the answer said", () => engine.cap.find("postgres answering again").length > 0, 5_000);
      await t.env.waitEvent("during", "filled");
      expect(engine.cap.find(silent)).toHaveLength(1);
      expect(engine.cap.find("task stalled")).toEqual([]);
      await waitFor("/ready again", async () => (await ready()) === 200, 5_000);
    } finally {
      proxy.thaw();
    }
  });

  it("F05 a statement the database does not answer at all fails a third past the statement timeout, and its connection is replaced", async () => {
    const proxy = await TcpProxy.start(Number(new URL(t.env.db.url).port || 5432));
    const store = EngineStore.connect(proxy.route(t.env.db.url), createSilentLogger(), 30, 600);
    try {
      expect(await store.ping()).toBe(true);
      proxy.freeze();
      const asked = Date.now();
      await expect(store.ping()).rejects.toThrow("Query read timeout");
      expect(Date.now() - asked).toBeGreaterThanOrEqual(700);
      proxy.thaw();
      // The connection that waited was dropped: the next statement is answered on a new one.
      expect(await store.ping()).toBe(true);
      expect(store.pool.totalCount).toBe(1);
    } finally {
      proxy.thaw();
      await store.pool.end();
      await proxy.close();
    }
  });

  it("F05 a decided order whose signal went stale while the database held it up is rejected, never sent late", async () => {
    const engine = await t.env.start(testnetSettings(t.fake.url, { MAX_SIGNAL_AGE_SECONDS: "2" }));
    await t.env.quote("BTCUSDT", 30_000);
    // Storing the decision as sent, the last write before the order goes out, takes 3 s.
    await delayWrites(t.env.db.pool, {
      table: "engine_signals",
      on: "UPDATE",
      when: "NEW.sent IS NOT NULL AND OLD.sent IS NULL",
      seconds: 3,
    });
    await t.env.signal("held-up", { quantity: 0.01 });
    const [rejected] = await t.env.waitEvent("held-up", "rejected");
    expect(rejected).toMatchObject({ rejection_source: "validation" });
    expect(rejected?.event === "rejected" && rejected.rejection_reason).toMatch(
      /^stale_signal: [34] s old \(max 2\) when its order was due to go out: not sent$/,
    );
    expect(t.fake.requests.filter((r) => r.method === "POST" && r.path === "/api/v3/order")).toEqual([]);
    expect(engine.cap.find("order not sent: its signal went stale while the decision waited")).toEqual([
      expect.objectContaining({ level: "warn", clientOrderId: clientOrderIdFor("held-up") }),
    ]);
    const view = (await (await fetch(`${engine.url}/signals/held-up`)).json()) as {
      status: string;
      events: { step: string; outcome: string }[];
    };
    expect(view.status).toBe("REJECTED");
    expect(view.events.at(-1)).toMatchObject({ step: "stale", outcome: "reject" });
  });
});
