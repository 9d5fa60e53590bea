import { STREAMS } from "@tradewire/bus";
import { KillSwitchCommand, subjects, TradeIntent } from "@tradewire/schemas";
import { waitFor } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { insertClaim } from "./claim-row.js";
import { environment, metricAt } from "./harness.js";
import { refuseWrites } from "./refuse-writes.js";

let env: Awaited<ReturnType<typeof environment>>;
const CONSUMER_GONE = "jetstream consumer gone from the server: ending this binding to create it again";

/** An engine that has filled `signalId`, and the signals stream it reads (namespaced). */
async function filledBefore(signalId: string) {
  const engine = await env.start();
  await env.quote("BTCUSDT", 30_000);
  await env.signal(signalId);
  await env.waitEvent(signalId, "filled");
  return { engine, stream: env.bus.ns.resource(STREAMS.signals.name) };
}
beforeEach(async () => {
  env = await environment();
});
afterEach(async () => {
  await env.cleanup();
});

type SignalView = {
  status: string;
  reason: string | null;
  events: { step: string; outcome: string }[];
  fills: { price: string }[];
};

/** The checks a market buy passes, in order. */
const MARKET_BUY_CHECKS = [
  "stale",
  "kill_switch",
  "whitelist",
  "confidence",
  "cooldown",
  "price",
  "sizing",
  "risk",
];

describe("trade-engine (paper)", () => {
  it("fills a signal at the live quote and shows its lifecycle via GET /signals/:id and orders.filled", async () => {
    const engine = await env.start();
    await env.quote("BTCUSDT", 30_000);
    await env.signal("sig-fill");
    await waitFor(
      "filled event",
      async () => (await env.orderEvents()).some((e) => e.event === "filled"),
      10_000,
    );
    const events = await env.orderEvents();
    expect(events.map((e) => e.event)).toEqual(["placed", "filled"]);
    const filled = events[1];
    expect(filled).toMatchObject({ signal_id: "sig-fill", side: "BUY", mode: "paper" });
    // F26: the fill is at the quoted ask plus slippage, never a made-up price.
    expect(Number(filled?.event === "filled" ? filled.avg_price : 0)).toBeCloseTo(30_000.01 * 1.0002, 4);
    const view = (await (await fetch(`${engine.url}/signals/sig-fill`)).json()) as SignalView;
    expect(view.status).toBe("FILLED");
    expect(view.events.map((e) => e.step)).toEqual(MARKET_BUY_CHECKS);
    const positions = (await (await fetch(`${engine.url}/positions`)).json()) as {
      positions: { symbol: string; quantity: number }[];
    };
    expect(positions.positions[0]).toMatchObject({ symbol: "BTCUSDT", quantity: 0.00333 });
  });

  it("equity on /metrics and the marks on GET /positions follow the price feed with no fill, and say how old their quote is", async () => {
    const engine = await env.start();
    await env.quote("BTCUSDT", 30_000);
    await env.signal("eq-1", { quantity: 0.02 });
    const [filled] = await env.waitEvent("eq-1", "filled");
    const paid = Number(filled?.event === "filled" ? filled.avg_price : 0);
    const fee = Number(filled?.event === "filled" ? filled.fee : 0);
    const equity = () => metricAt(engine.url, "tradewire_engine_equity");
    // The market falls 3,000 with no fill: the drawdown shows at the next scrape.
    await env.quote("BTCUSDT", 27_000);
    const mid = (27_000 + 27_000.01) / 2;
    expect(await equity()).toBeCloseTo(10_000 - fee + 0.02 * (mid - paid), 4);
    const body = (await (await fetch(`${engine.url}/positions`)).json()) as {
      positions: { symbol: string; markPrice: number; markAgeMs: number; unrealizedPnl: number }[];
    };
    expect(body.positions[0]).toMatchObject({ symbol: "BTCUSDT", markPrice: 27_000.005 });
    expect(body.positions[0]?.unrealizedPnl).toBeCloseTo(0.02 * (mid - paid), 6);
    expect(body.positions[0]?.markAgeMs).toBeGreaterThanOrEqual(0);
    expect(body.positions[0]?.markAgeMs).toBeLessThan(5_000);
  });

  it("a DATABASE_URL whose schema does not exist is refused at start, naming the search_path", async () => {
    const missing = env.db.url.replace(env.db.schema, `${env.db.schema}_missing`);
    await expect(env.start({ DATABASE_URL: missing })).rejects.toThrow(
      new RegExp(`DATABASE_URL selects no schema that exists \\(search_path: "?${env.db.schema}_missing`),
    );
  });

  it("GET /signals/:id reads the checks an earlier version stored one row each, before those on the signal row", async () => {
    const engine = await env.start();
    await env.quote("BTCUSDT", 30_000);
    await env.signal("sig-legacy");
    await env.waitEvent("sig-legacy", "filled");
    // As a version before the checks moved onto the signal row would have left it.
    await env.db.pool.query(
      "INSERT INTO engine_signal_events (signal_id, step, outcome, detail) VALUES ('sig-legacy', 'legacy', 'pass', 'old row')",
    );
    const view = (await (await fetch(`${engine.url}/signals/sig-legacy`)).json()) as SignalView;
    expect(view.events.map((e) => e.step)).toEqual(["legacy", ...MARKET_BUY_CHECKS]);
    expect(view.events.every((e) => typeof e.outcome === "string")).toBe(true);
  });

  it("F10 consumes both signals.trading and signals.trading.<strategy>", async () => {
    await env.start();
    await env.quote("BTCUSDT", 30_000);
    await env.signal("bare");
    await env.signal("wild", {}, "momentum");
    await waitFor(
      "both filled",
      async () => (await env.orderEvents()).filter((e) => e.event === "filled").length === 2,
      10_000,
    );
  });

  it("F22 executes the same signal once, delivered twice and to two engine replicas", async () => {
    const a = await env.start();
    const b = await env.start();
    await env.quote("BTCUSDT", 30_000);
    for (let i = 0; i < 3; i++) await env.signal("dup-1");
    await waitFor(
      "one fill",
      async () => (await env.orderEvents()).some((e) => e.event === "filled"),
      10_000,
    );
    const duplicates = () =>
      a.cap.find("duplicate signal ignored").length + b.cap.find("duplicate signal ignored").length;
    await waitFor("both redeliveries recognised as duplicates", () => duplicates() === 2, 10_000);
    expect((await env.orderEvents()).filter((e) => e.event === "filled")).toHaveLength(1);
    const { rows } = await env.db.pool.query("SELECT count(*)::int AS n FROM engine_orders");
    expect(rows[0].n).toBe(1);
  });

  it("F15 two engine replicas share one durable consumer: every signal is decided by one of them, once", async () => {
    const a = await env.start({ COOLDOWN_SECONDS: "0" });
    const b = await env.start({ COOLDOWN_SECONDS: "0" });
    await env.quote("BTCUSDT", 30_000);
    const ids = Array.from({ length: 20 }, (_, i) => `shared-${i}`);
    for (const [i, id] of ids.entries())
      await env.signal(id, { action: i % 2 ? "sell" : "buy", quantity: 0.001 });
    await waitFor(
      "every signal filled",
      async () => (await env.orderEvents()).filter((e) => e.event === "filled").length === ids.length,
      10_000,
    );
    // A replica with a subscription of its own would decide every signal too: 40, with 20 duplicates.
    const received = [...a.cap.find("RECEIVED"), ...b.cap.find("RECEIVED")].map((l) => l.signalId);
    expect(received.sort()).toEqual([...ids].sort());
    expect([...a.cap.find("duplicate signal ignored"), ...b.cap.find("duplicate signal ignored")]).toEqual(
      [],
    );
  });

  it("heartbeat: each consumer says it is connected, how many messages wait, and what it processed since the last beat", async () => {
    const svc = await env.start({ HEARTBEAT_INTERVAL_S: "1" });
    await env.quote("BTCUSDT", 30_000);
    for (const id of ["hb-1", "hb-2", "hb-3"]) await env.signal(id, { quantity: 0.001 });
    await waitFor(
      "three fills",
      async () => (await env.orderEvents()).filter((e) => e.event === "filled").length === 3,
      10_000,
    );
    const beats = () => svc.cap.find("task heartbeat").filter((l) => l.task === "signal-consumer");
    const seen = beats().length;
    await waitFor("a beat after the fills", () => beats().length > seen + 1, 5_000);
    const all = beats();
    expect(all.at(-1)).toMatchObject({
      level: "info",
      connected: 1,
      pending: 0,
      ackPending: 0,
      processed: 3,
    });
    // Each beat says what was processed since the one before: together, the three signals once.
    const since = all.map((l) => (l.sinceLastBeat as { processed?: number }).processed ?? 0);
    expect(since.reduce((a, b) => a + b, 0)).toBe(3);
    expect(since.at(-1)).toBe(0);
    expect(
      svc.cap.find("task heartbeat").some((l) => l.task === "intent-consumer" && l.connected === 1),
    ).toBe(true);
    expect(
      await metricAt(svc.url, "tradewire_task_gauge", { task: "signal-consumer", gauge: "connected" }),
    ).toBe(1);
  });

  it("a PostgreSQL connection dropped under the engine (a restart, a proxy) is said and replaced, not a crash", async () => {
    const name = `eng-drop-${process.pid}-${Date.now()}`;
    const url = new URL(env.db.url);
    url.searchParams.set("application_name", name);
    const svc = await env.start({ DATABASE_URL: url.toString() });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("drop-1", { quantity: 0.001 });
    await waitFor("first fill", async () => (await env.eventsOf("drop-1")).some((e) => e.event === "filled"));
    // The engine's idle connections, killed by the server.
    const { rows } = await env.db.pool.query<{ killed: boolean }>(
      "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1",
      [name],
    );
    expect(rows.length).toBeGreaterThan(0);
    await waitFor(
      "said",
      () => svc.cap.find("idle PostgreSQL connection lost; the pool opens a new one when needed").length > 0,
    );
    await env.signal("drop-2", { quantity: 0.001 });
    await waitFor("fill after the drop", async () =>
      (await env.eventsOf("drop-2")).some((e) => e.event === "filled"),
    );
    expect(svc.cap.find("fatal error")).toEqual([]);
  });

  it("F26 rejects an order for a symbol with no recent price instead of filling it", async () => {
    const engine = await env.start();
    await env.signal("no-price", { symbol: "ETHUSDT" });
    await waitFor(
      "rejected",
      async () => (await env.orderEvents()).some((e) => e.event === "rejected"),
      10_000,
    );
    const [event] = await env.orderEvents();
    expect(event).toMatchObject({
      event: "rejected",
      rejection_source: "paper",
      rejection_reason: expect.stringContaining("no_recent_price"),
    });
    const view = (await (await fetch(`${engine.url}/signals/no-price`)).json()) as SignalView;
    expect(view.status).toBe("REJECTED");
  });

  it("F40 a backlog waiting when the engine starts is decided once the price feed is warm, not rejected no_recent_price", async () => {
    // Sent while the engine is down (a deploy): read the moment it binds, before any quote came.
    for (const id of ["backlog-1", "backlog-2", "backlog-3"]) await env.signal(id, { quantity: 0.001 });
    const engine = await env.start({ PRICE_WARMUP_MS: "10000", SYMBOL_WHITELIST: "BTCUSDT" });
    await new Promise((r) => setTimeout(r, 500));
    // Nothing decided while no quote has come, and not ready meanwhile.
    expect(engine.cap.find("RECEIVED")).toEqual([]);
    const waiting = (await (await fetch(`${engine.url}/ready`)).json()) as {
      ready: boolean;
      unready: object;
    };
    expect(waiting).toMatchObject({ ready: false, unready: { "price-warmup": "not ready" } });
    await env.quote("BTCUSDT", 30_000);
    for (const id of ["backlog-1", "backlog-2", "backlog-3"]) await env.waitEvent(id, "filled");
    expect(engine.cap.find("REJECTED")).toEqual([]);
    expect((await fetch(`${engine.url}/ready`)).status).toBe(200);
    expect(engine.cap.find("price feed warm: deciding signals")[0]).toMatchObject({
      level: "info",
      quoted: 1,
      missing: [],
    });
  });

  it("kill switch (NATS and HTTP) blocks entries but still allows closes", async () => {
    const engine = await env.start();
    await env.quote("BTCUSDT", 30_000);
    await env.signal("open-1");
    await waitFor("opened", async () => (await env.orderEvents()).some((e) => e.event === "filled"), 10_000);
    env.bus.publish(subjects.killSwitch(), KillSwitchCommand, { enabled: true, reason: "drill" });
    await waitFor("kill switch on", () => engine.engine.killSwitch, 5000);
    await env.signal("entry-blocked");
    await env.signal("close-ok", { action: "close" });
    await waitFor("both decided", async () => (await env.orderEvents()).length === 5, 10_000);
    const byId = Object.fromEntries((await env.orderEvents()).map((e) => [`${e.signal_id}:${e.event}`, e]));
    expect(byId["entry-blocked:rejected"]).toMatchObject({
      rejection_reason: expect.stringContaining("kill_switch_active"),
    });
    expect(byId["close-ok:filled"]).toMatchObject({ side: "SELL" });
    const res = await fetch(`${engine.url}/kill-switch`, {
      method: "POST",
      body: JSON.stringify({ enabled: false, reason: "done" }),
    });
    expect(((await res.json()) as { killSwitch: boolean }).killSwitch).toBe(false);
  });

  it("kill switch: holds at once when it cannot be stored, and a resting entry whose cancel failed is canceled at the next check, never filled", async () => {
    const engine = await env.start({ PROTECTION_CHECK_MS: "50" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("resting-entry", { quantity: 0.001, order_type: "LIMIT", price: 29_000 });
    await env.waitEvent("resting-entry", "placed");
    // The database refuses the kill switch's row, and the entry's first cancel.
    const allowState = await refuseWrites(env.db.pool, { table: "engine_state", on: "INSERT OR UPDATE" });
    await refuseWrites(env.db.pool, {
      table: "engine_orders",
      on: "UPDATE",
      when: "NEW.status = 'CANCELED'",
      times: 1,
    });
    const res = await fetch(`${engine.url}/kill-switch`, {
      method: "POST",
      body: JSON.stringify({ enabled: true, reason: "drill" }),
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({
      killSwitch: true,
      error: expect.stringContaining("write refused"),
    });
    expect(
      engine.cap.find(
        "kill switch not stored: it holds in this process, and is stored once the database answers",
      ),
    ).toHaveLength(1);
    expect(
      engine.cap.find("kill switch: canceling resting entries failed; tried again at the next check"),
    ).toHaveLength(1);
    await env.signal("blocked");
    const [rejected] = await env.waitEvent("blocked", "rejected");
    expect(rejected).toMatchObject({ rejection_reason: expect.stringMatching(/^kill_switch_active/) });
    await env.waitEvent("resting-entry", "canceled");
    // The market reaches the entry's price: canceled, it cannot fill.
    await env.quote("BTCUSDT", 28_900);
    await new Promise((r) => setTimeout(r, 300));
    expect(await env.eventsOf("resting-entry").then((es) => es.map((e) => e.event))).toEqual([
      "placed",
      "canceled",
    ]);
    // Once the database takes it, it is stored: a reload or a restart keeps it on.
    await allowState();
    await waitFor(
      "stored after all",
      () => engine.cap.find("kill switch stored after all").length > 0,
      5_000,
    );
    const stored = await env.db.pool.query("SELECT value FROM engine_state WHERE key = 'kill_switch'");
    expect(stored.rows[0]?.value).toMatchObject({ enabled: true, reason: "drill" });
  });

  it("kill switch: a command sent on NATS while the engine was down is applied when it starts; an older one is not", async () => {
    // The control stream exists (an earlier run made it); no engine listens.
    await env.bus.ensureStream(STREAMS.control);
    env.bus.publish(subjects.killSwitch(), KillSwitchCommand, {
      enabled: true,
      reason: "while down",
      actor: "ops",
    });
    await env.bus.nc.flush();
    const engine = await env.start();
    expect(engine.engine.killSwitch).toBe(true);
    expect(
      engine.cap.find("kill switch command sent while the engine was down: applied now")[0],
    ).toMatchObject({
      level: "warn",
      enabled: true,
    });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("after-start");
    const [rejected] = await env.waitEvent("after-start", "rejected");
    expect(rejected).toMatchObject({ rejection_reason: expect.stringMatching(/^kill_switch_active/) });
    // Turned off over HTTP after it: a restart keeps it off (the stored state is newer).
    await fetch(`${engine.url}/kill-switch`, {
      method: "POST",
      body: JSON.stringify({ enabled: false, reason: "clear" }),
    });
    await engine.stop("restart");
    const again = await env.start();
    expect(again.engine.killSwitch).toBe(false);
    expect(again.cap.find("kill switch command sent while the engine was down: applied now")).toEqual([]);
  });

  it("kill switch: one this replica missed while NATS was away (stored by another replica) is caught up within seconds, no restart", async () => {
    const engine = await env.start();
    await env.quote("BTCUSDT", 30_000);
    // Another replica turned it on and stored it; the command never reached this one.
    await env.db.pool.query(
      `INSERT INTO engine_state (key, value) VALUES ('kill_switch', $1)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [JSON.stringify({ enabled: true, reason: "incident", actor: "ops", at: new Date().toISOString() })],
    );
    await waitFor("caught up", () => engine.engine.killSwitch, 10_000);
    expect(
      engine.cap.find(
        "kill switch differs from the stored one (a command missed while NATS was away): applied",
      )[0],
    ).toMatchObject({ level: "warn", enabled: true, reason: "incident" });
    await env.signal("after-missed");
    const [rejected] = await env.waitEvent("after-missed", "rejected");
    expect(rejected).toMatchObject({ rejection_reason: expect.stringMatching(/^kill_switch_active/) });
  });

  it("kill switch: an unreadable command kept on the control stream is said at start, and the engine starts anyway", async () => {
    await env.bus.ensureStream(STREAMS.control);
    // Published by hand without its reason: the live subscription drops it, the start must not fail on it.
    env.bus.nc.publish(env.bus.ns.subject(subjects.killSwitch()), JSON.stringify({ enabled: true }));
    await env.bus.nc.flush();
    const engine = await env.start();
    expect(
      engine.cap.find(
        "the last kill switch command kept on the control stream is unreadable; not applied",
      )[0],
    ).toMatchObject({ level: "error" });
    expect(engine.engine.killSwitch).toBe(false);
  });

  it("kill switch: POST /kill-switch to one replica reaches every replica", async () => {
    const a = await env.start();
    const b = await env.start();
    await fetch(`${a.url}/kill-switch`, {
      method: "POST",
      body: JSON.stringify({ enabled: true, reason: "drill" }),
    });
    await waitFor("the other replica has it", () => b.engine.killSwitch, 5_000);
    expect(b.cap.find("kill switch ON: new entries rejected, closes allowed")[0]).toMatchObject({
      reason: "drill",
      actor: "http",
    });
    // The replica that was asked applied it once: its own command coming back changes nothing.
    await waitFor(
      "echo seen",
      () => a.cap.find("kill switch command changes nothing here").length > 0,
      5_000,
    );
    expect(a.cap.find("kill switch ON: new entries rejected, closes allowed")).toHaveLength(1);
  });

  it("F01 a failing handler naks and the signal is still processed once the fault clears", async () => {
    const engine = await env.start();
    await env.quote("BTCUSDT", 30_000);
    await env.db.pool.query("ALTER TABLE engine_signals RENAME TO engine_signals_away");
    await env.signal("retry-me");
    await waitFor(
      "handler failure logged",
      () => engine.cap.find("deciding a message failed; it will be redelivered").length > 0,
      10_000,
    );
    await env.db.pool.query("ALTER TABLE engine_signals_away RENAME TO engine_signals");
    await waitFor(
      "filled after recovery",
      async () => (await env.orderEvents()).some((e) => e.event === "filled" && e.signal_id === "retry-me"),
      15_000,
    );
  });

  it("F01 a consumer deleted on the server is created again within seconds: what is published next is decided, and what it had decided is not executed twice", async () => {
    const { engine, stream } = await filledBefore("before-delete");
    const [durable] = (await env.bus.jsm.consumers.list(stream).next()).map((c) => c.name);
    await env.bus.jsm.consumers.delete(stream, durable ?? "");
    await env.signal("after-delete");
    await env.waitEvent("after-delete", "filled");
    expect(engine.cap.find(CONSUMER_GONE)).toEqual([
      expect.objectContaining({ level: "warn", durable, status: "consumer_deleted" }),
    ]);
    // Created again from the stream's start: the first signal came again and was found decided.
    await waitFor("the first signal delivered again", async () => {
      const info = await env.bus.jsm.consumers.info(stream, durable ?? "");
      // Its own count of deliveries: both messages of the stream went through the new consumer.
      return info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.consumer_seq >= 2;
    });
    expect(await env.eventsOf("before-delete")).toHaveLength(2);
  });

  it("F01 the signals stream deleted on the server is declared again by its consumer within seconds: what is published into it next is decided", async () => {
    const { engine, stream } = await filledBefore("before-stream-delete");
    await env.bus.jsm.streams.delete(stream);
    // A publisher retries until the stream is there again (as the strategies' outbox does).
    await waitFor(
      "the stream declared again",
      () =>
        env.bus.jsm.streams.info(stream).then(
          () => true,
          () => false,
        ),
      10_000,
    );
    await env.signal("after-stream-delete");
    await env.waitEvent("after-stream-delete", "filled");
    expect(engine.cap.find(CONSUMER_GONE)).toEqual([expect.objectContaining({ level: "warn" })]);
  });

  it("F05 a decision that hangs stalls its consumer loudly (at error, /ready false); once it returns the consumer binds again and the signal is decided once", async () => {
    const engine = await env.start({ CONSUMER_STALL_S: "2" });
    await env.quote("BTCUSDT", 30_000);
    // A lock nobody releases: the decision's writes wait on it, while NATS stays perfectly alive.
    const holder = await env.db.pool.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("LOCK TABLE engine_signals IN ACCESS EXCLUSIVE MODE");
      await env.signal("hung-1");
      const stalled = await waitFor(
        "signal consumer stalled",
        () => engine.cap.find("task stalled").find((l) => l.task === "signal-consumer"),
        10_000,
      );
      expect(stalled).toMatchObject({ level: "error", stallTimeoutMs: 2_000 });
      const ready = await fetch(`${engine.url}/ready`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { tasks: { name: string; state: string }[] };
      expect(body.tasks.find((t) => t.name === "signal-consumer")?.state).toBe("stalled");
      // The idle intent consumer is not stalled: the server's beats keep it alive.
      expect(body.tasks.find((t) => t.name === "intent-consumer")?.state).toBe("running");
      const busy = await waitFor(
        "the stop names the busy messages",
        () =>
          engine.cap.find(
            "consumer stopped while its handler is still busy: those messages settle when it returns",
          )[0],
      );
      expect(busy).toMatchObject({ seqs: [1] });
    } finally {
      await holder.query("ROLLBACK");
      holder.release();
    }
    await env.waitEvent("hung-1", "filled");
    await waitFor("bound again", () => engine.cap.find("jetstream consumer bound").length >= 3, 10_000);
    await waitFor("ready again", async () => (await fetch(`${engine.url}/ready`)).status === 200, 10_000);
    expect(await env.eventsOf("hung-1")).toHaveLength(2);
  });

  it("F01 while the books cannot be reloaded, reloads back off (0.5 s doubling to 2 s) instead of hammering the database every check, and resume once it answers", async () => {
    const engine = await env.start();
    await env.quote("BTCUSDT", 30_000);
    const failedReload = "engine state could not be reloaded from PostgreSQL; deciding nothing";
    // The fill's statement fails, and so does every reload of the books after it.
    await env.db.pool.query("ALTER TABLE engine_positions RENAME TO engine_positions_away");
    await env.signal("outage-1");
    // The 200 ms checks ask for a reload each time; six seconds of outage.
    await waitFor("outage said", () => engine.cap.find(failedReload).length > 0, 10_000);
    await new Promise((r) => setTimeout(r, 6_000));
    await env.db.pool.query("ALTER TABLE engine_positions_away RENAME TO engine_positions");
    await env.waitEvent("outage-1", "filled");
    const attempts = engine.cap.find(failedReload);
    expect(attempts[0]).toMatchObject({ level: "error", retryInMs: 500 });
    expect(attempts.slice(0, 4).map((l) => l.retryInMs)).toEqual([500, 1_000, 2_000, 2_000]);
    // Each attempt waited out the backoff the previous one announced.
    for (let i = 1; i < attempts.length; i++) {
      const gap = Date.parse(attempts[i]?.timestamp ?? "") - Date.parse(attempts[i - 1]?.timestamp ?? "");
      expect(gap).toBeGreaterThanOrEqual(Number(attempts[i - 1]?.retryInMs) - 5);
    }
    // About 1 + 1 + 2 + 2 + 2 s: a handful, where every 200 ms check would have made 30 or more.
    expect(attempts.length).toBeLessThanOrEqual(6);
  });

  it("a CLOSE of a short that is rejected says BUY, the side it would have traded", async () => {
    await env.start();
    await env.quote("BTCUSDT", 30_000);
    await env.signal("short-1", { action: "sell", quantity: 0.001 });
    await env.waitEvent("short-1", "filled");
    // At 4,000 the short is worth 4 USDT: under MIN_NOTIONAL, so its CLOSE is refused.
    await env.quote("BTCUSDT", 4_000);
    await env.signal("short-close", { action: "close" });
    const [rejected] = await env.waitEvent("short-close", "rejected");
    expect(rejected).toMatchObject({
      side: "BUY",
      rejection_reason: expect.stringMatching(/^below_min_notional/),
    });
  });

  it("F14 an intent without a timestamp is aged from when the stream took it, not from when the engine reads it", async () => {
    // Sent while the engine is down, read after it is older than MAX_SIGNAL_AGE_SECONDS.
    await env.bus.publishDurable(
      subjects.tradeIntent(),
      TradeIntent,
      { symbol: "BTCUSDT", action: "BUY", confidence: 0.9, intent_id: "late-intent" },
      { msgId: "late-intent" },
    );
    await new Promise((r) => setTimeout(r, 1_500));
    const engine = await env.start({ MAX_SIGNAL_AGE_SECONDS: "1" });
    await env.quote("BTCUSDT", 30_000);
    await waitFor(
      "intent decided",
      () => engine.cap.find("REJECTED").some((l) => l.signalId === "late-intent"),
      10_000,
    );
    expect(engine.cap.find("REJECTED").find((l) => l.signalId === "late-intent")).toMatchObject({
      reason: expect.stringMatching(/^stale_signal: [12] s old/),
    });
  });

  it("a signal whose decision fails on every delivery is dead-lettered with the error after MAX_DELIVERIES, backing off in between", async () => {
    const engine = await env.start({ MAX_DELIVERIES: "3" });
    await env.quote("BTCUSDT", 30_000);
    await env.db.pool.query("ALTER TABLE engine_signals RENAME TO engine_signals_away");
    await env.signal("poison");
    await waitFor(
      "dead-lettered",
      async () => (await env.deadLetters()).some((d) => d.payload.includes('"poison"')),
      15_000,
    );
    const retries = engine.cap.find("deciding a message failed; it will be redelivered");
    expect(retries.map((l) => [l.failed, l.retryInMs])).toEqual([
      [1, 1_000],
      [2, 2_000],
    ]);
    expect(engine.cap.find("deciding a message failed on every attempt; dead-lettered")).toHaveLength(1);
    const [record] = (await env.deadLetters()).filter((d) => d.payload.includes('"poison"'));
    expect(record).toMatchObject({
      deliveryCount: 3,
      reason: expect.stringMatching(/^failed 3 times: /),
    });
    await env.db.pool.query("ALTER TABLE engine_signals_away RENAME TO engine_signals");
    // Terminated: not delivered again once the fault clears.
    await env.signal("after-poison");
    await waitFor("next signal filled", async () =>
      (await env.orderEvents()).some((e) => e.event === "filled" && e.signal_id === "after-poison"),
    );
    expect((await env.orderEvents()).filter((e) => e.signal_id === "poison")).toEqual([]);
  });

  it("a failure after a fill was stored (its protection could not be cleared) reloads the books before the next decision", async () => {
    const engine = await env.start();
    await env.quote("BTCUSDT", 30_000);
    await env.signal("dirty-entry", { quantity: 0.01, stop_loss: 29_000 });
    await waitFor("entry filled", async () =>
      (await env.orderEvents()).some((e) => e.event === "filled" && e.signal_id === "dirty-entry"),
    );
    await env.quote("BTCUSDT", 29_500);
    // The close is stored with its loss, then clearing its protection fails.
    const allowDeletes = await refuseWrites(env.db.pool, { table: "engine_protections", on: "DELETE" });
    await env.signal("dirty-close", { action: "close" });
    const statusOf = async (id: string) =>
      (await env.db.pool.query("SELECT status FROM engine_signals WHERE signal_id = $1", [id])).rows[0]
        ?.status;
    await waitFor("close stored", async () => (await statusOf("dirty-close")) === "FILLED", 10_000);
    await waitFor(
      "failure logged",
      () => engine.cap.find("deciding a message failed; it will be redelivered").length > 0,
    );
    await allowDeletes();
    // The next decision sees the day's loss and the flat position as stored, not what memory missed.
    await env.signal("dirty-next", { action: "hold" });
    await waitFor("next decided", async () => (await statusOf("dirty-next")) === "HOLD", 10_000);
    const stored = (await env.db.pool.query("SELECT realized FROM engine_daily_pnl")).rows[0].realized;
    expect(stored).toBeLessThan(-4);
    expect(engine.engine.snapshot().dailyRealizedPnl).toBe(stored);
    expect(engine.engine.snapshot().positions).toMatchObject({ BTCUSDT: { quantity: 0 } });
  });

  it("F25 closes a position when the market crosses its stop-loss, once, with the exit's own events", async () => {
    const engine = await env.start({ PROTECTION_CHECK_MS: "50" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("guarded", { stop_loss: 29_500, take_profit: 31_000 });
    await waitFor("entry filled", async () =>
      (await env.orderEvents()).some((e) => e.event === "filled" && e.signal_id === "guarded"),
    );
    expect(engine.cap.find("protection set")[0]).toMatchObject({
      signalId: "guarded",
      stopLoss: 29_500,
      takeProfit: 31_000,
    });
    await env.quote("BTCUSDT", 29_400);
    await waitFor(
      "stop-loss exit filled",
      async () =>
        (await env.orderEvents()).some((e) => e.event === "filled" && e.signal_id === "guarded:stop_loss"),
      10_000,
    );
    expect(engine.cap.find("PROTECTION_TRIGGERED")[0]).toMatchObject({
      symbol: "BTCUSDT",
      reason: "stop_loss",
      triggerPrice: 29_500,
    });
    await waitFor("flat", () => engine.engine.snapshot().positions.BTCUSDT?.quantity === 0);
    await new Promise((r) => setTimeout(r, 300));
    const exits = (await env.orderEvents()).filter(
      (e) => e.event === "filled" && e.signal_id.startsWith("guarded:"),
    );
    expect(exits).toHaveLength(1);
    expect(exits[0]).toMatchObject({ side: "SELL" });
    const stored = await env.db.pool.query("SELECT count(*)::int AS n FROM engine_protections");
    expect(stored.rows[0]).toEqual({ n: 0 });
  });

  it("F39 a position whose stop-loss has no fresh quote (the price feed silent) is said unwatched at warn and counted, and watched again, and closed, once quotes come back", async () => {
    const engine = await env.start({ PROTECTION_CHECK_MS: "50", PRICE_MAX_AGE_MS: "500" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("unwatched", { stop_loss: 29_500 });
    await env.waitEvent("unwatched", "filled");
    const unwatched = () => metricAt(engine.url, "tradewire_engine_protections_unwatched");
    expect(await unwatched()).toBe(0);
    // The feed goes silent: the last quote ages past PRICE_MAX_AGE_MS, then past it again.
    const silentAt = Date.now();
    env.quoteOnce("BTCUSDT", "30000.00", "30000.01");
    const said = await waitFor(
      "said unwatched",
      () =>
        engine.cap.find(
          "stop-loss / take-profit not watched: no fresh quote for the symbol (is the price feed silent?)",
        )[0],
      5_000,
    );
    expect(Date.now() - silentAt).toBeGreaterThanOrEqual(1_000);
    expect(said).toMatchObject({ level: "warn", symbol: "BTCUSDT", stopLoss: 29_500, maxAgeMs: 500 });
    expect(await unwatched()).toBe(1);
    // The feed comes back below the stop: watched again, and the stop fires.
    await env.quote("BTCUSDT", 29_400);
    await env.waitEvent("unwatched:stop_loss", "filled");
    expect(engine.cap.find("stop-loss / take-profit watched again: the quote is fresh")[0]).toMatchObject({
      level: "info",
      symbol: "BTCUSDT",
    });
    expect(await unwatched()).toBe(0);
  });

  it("F26 a quote with an empty side (bid 0) or a crossed one is refused, counted and said: a long's stop does not fire on it", async () => {
    const engine = await env.start({ PROTECTION_CHECK_MS: "50" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("held", { stop_loss: 29_500 });
    await waitFor("entry filled", async () =>
      (await env.orderEvents()).some((e) => e.event === "filled" && e.signal_id === "held"),
    );
    env.quoteOnce("BTCUSDT", "0.00000000", "30000.01");
    env.quoteOnce("BTCUSDT", "30001.00", "29000.00");
    const refused = (reason: string) =>
      metricAt(engine.url, "tradewire_engine_quotes_refused_total", { symbol: "BTCUSDT", reason });
    await waitFor(
      "both refused",
      async () => (await refused("not_positive")) === 1 && (await refused("crossed")) === 1,
    );
    // Stop checks run every 50 ms: a bid taken at 0 would have closed the long at 0 by now.
    await new Promise((r) => setTimeout(r, 300));
    expect((await env.orderEvents()).filter((e) => e.signal_id.startsWith("held:"))).toEqual([]);
    expect(engine.engine.snapshot().positions.BTCUSDT?.quantity).toBeGreaterThan(0);
    expect(engine.prices.get("BTCUSDT")).toMatchObject({ bid: 30_000, ask: 30_000.01 });
    expect(engine.cap.find("quote refused: not a market, the previous quote is kept")[0]).toMatchObject({
      level: "warn",
      symbol: "BTCUSDT",
      source: "bookTicker",
      bid: 0,
      ask: 30_000.01,
      reason: "not_positive",
    });
  });

  it("F25 an exit whose claim is held (a run that stopped mid-way) is resumed under the same id once the lease ends, not sent again under a new one", async () => {
    const engine = await env.start({ PROTECTION_CHECK_MS: "50", CLAIM_LEASE_SECONDS: "2" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("held", { quantity: 0.001, stop_loss: 29_500 });
    await env.waitEvent("held", "filled");
    // A run killed after claiming the stop exit (its order may be out): the claim stays undecided.
    await insertClaim(env.db.pool, { id: "held:stop_loss", action: "CLOSE" });
    await env.quote("BTCUSDT", 29_400);
    await env.waitEvent("held:stop_loss", "filled");
    expect(
      engine.cap.find("protection exit being decided elsewhere; the same exit is tried again")[0],
    ).toMatchObject({
      reason: "stop_loss",
      attempt: 1,
    });
    const ids = await env.db.pool.query("SELECT signal_id FROM engine_signals WHERE signal_id LIKE 'held:%'");
    expect(ids.rows).toEqual([{ signal_id: "held:stop_loss" }]);
    expect(engine.cap.find("protection exit did not close the position; retrying")).toEqual([]);
  });

  it("F25 an exit the venue keeps refusing is tried again with a fresh id, backing off, not at every tick", async () => {
    const engine = await env.start({ PROTECTION_CHECK_MS: "50", MIN_NOTIONAL: "10" });
    await env.quote("BTCUSDT", 30_000);
    // $10.50 of BTC: once the price falls under 28,600, closing it is below the $10 minimum.
    await env.signal("thin", { position_size_usd: 10.5, stop_loss: 29_500 });
    await waitFor("entry filled", async () =>
      (await env.orderEvents()).some((e) => e.event === "filled" && e.signal_id === "thin"),
    );
    await env.quote("BTCUSDT", 28_000);
    const retries = () => engine.cap.find("protection exit did not close the position; retrying");
    await waitFor("four refused exits", () => retries().length >= 4, 10_000);
    expect(
      retries()
        .slice(0, 4)
        .map((l) => l.retryInMs),
    ).toEqual([50, 100, 200, 400]);
    const refused = (await env.orderEvents()).filter(
      (e) => e.event === "rejected" && e.signal_id.startsWith("thin:stop_loss"),
    );
    // One stored attempt per warning: nothing tried in between.
    expect(refused.length).toBeLessThanOrEqual(retries().length + 1);
    expect(refused[0]).toMatchObject({ rejection_reason: expect.stringContaining("below_min_notional") });
  });

  it("F25 what a sale of most of a position leaves under MIN_NOTIONAL is dust: unguarded, not open, its CLOSE refused as such, no exit retried for ever", async () => {
    const engine = await env.start({ PROTECTION_CHECK_MS: "50", MIN_NOTIONAL: "10" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("most", { position_size_usd: 100, stop_loss: 29_000 });
    await env.waitEvent("most", "filled");
    // 0.00333 bought, 0.00316 sold: 0.00017 BTC ($5.10) left, which no order could sell.
    await env.signal("most-sold", { action: "sell", position_size_usd: 95, strategy_id: "other" });
    await env.waitEvent("most-sold", "filled");
    await waitFor("protection cleared", () => engine.cap.find("protection cleared").length > 0, 5_000);
    expect(engine.cap.find("protection cleared")[0]).toMatchObject({ entrySignalId: "most" });
    expect(engine.engine.snapshot().positions.BTCUSDT?.quantity).toBeCloseTo(0.00017, 10);
    const stored = await env.db.pool.query("SELECT count(*)::int AS n FROM engine_protections");
    expect(stored.rows[0]).toEqual({ n: 0 });
    expect(await metricAt(engine.url, "tradewire_engine_open_positions")).toBe(0);
    // Through the stop: nothing is triggered, nothing retried.
    await env.quote("BTCUSDT", 28_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(engine.cap.find("PROTECTION_TRIGGERED")).toEqual([]);
    expect(engine.cap.find("protection exit did not close the position; retrying")).toEqual([]);
    await env.signal("dust-close", { action: "close" });
    const [rejected] = await env.waitEvent("dust-close", "rejected");
    expect(rejected).toMatchObject({
      rejection_reason: "no_position: only dust is left on BTCUSDT (0.00017, under what the exchange trades)",
    });
  });

  it("keeps a strategy's cooldown across a restart: an entry right after it is refused as it would have been", async () => {
    const first = await env.start({ COOLDOWN_SECONDS: "60" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("cool-1");
    await env.waitEvent("cool-1", "filled");
    await first.stop("restart");
    await env.start({ COOLDOWN_SECONDS: "60" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("cool-2");
    const [rejected] = await env.waitEvent("cool-2", "rejected");
    expect(rejected).toMatchObject({
      rejection_reason: expect.stringMatching(/^cooldown_active: \d+ s left for test on BTCUSDT$/),
    });
    // Another strategy on the symbol is not held back by it.
    await env.signal("cool-3", { strategy_id: "other" });
    await env.waitEvent("cool-3", "filled");
  });

  it("the daily loss limit stops entries while an open position is under water, before it is realized", async () => {
    const engine = await env.start({ DAILY_LOSS_LIMIT: "20" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("sinker", { quantity: 0.01 });
    await env.waitEvent("sinker", "filled");
    // 0.01 bought at about 30,000, marked at 27,000: 30 under water; realized only the entry fee.
    await env.quote("BTCUSDT", 27_000);
    await env.signal("one-more", { quantity: 0.001 });
    const [rejected] = await env.waitEvent("one-more", "rejected");
    expect(rejected).toMatchObject({
      rejection_source: "risk",
      rejection_reason: expect.stringMatching(
        /^daily_loss_limit_reached: -30\.\d\d \(realized today -0\.\d\d, open positions under water -30\.\d\d; limit -20\)$/,
      ),
    });
    expect(await metricAt(engine.url, "tradewire_engine_open_losses")).toBeCloseTo(-30, 0);
    // Closing is not held back.
    await env.signal("bail", { action: "close" });
    await env.waitEvent("bail", "filled");
  });

  it("F29 keeps the daily loss limit across a restart", async () => {
    await env.db.pool.query("SELECT 1");
    const first = await env.start({ DAILY_LOSS_LIMIT: "100" });
    await env.db.pool.query(
      "INSERT INTO engine_daily_pnl (day, realized) VALUES ((now() AT TIME ZONE 'utc')::date, -150)",
    );
    await first.stop("restart");
    const second = await env.start({ DAILY_LOSS_LIMIT: "100" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("after-restart");
    await waitFor(
      "rejected",
      async () => (await env.orderEvents()).some((e) => e.event === "rejected"),
      10_000,
    );
    expect((await env.orderEvents())[0]).toMatchObject({
      rejection_reason: expect.stringContaining("daily_loss_limit_reached"),
    });
    expect(second.engine.snapshot().dailyRealizedPnl).toBe(-150);
  });
});
