import { PrivateNatsServer } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { environment } from "./harness.js";
import { limitBuy } from "./order-request.js";

let server: PrivateNatsServer | undefined;
let env: Awaited<ReturnType<typeof environment>> | undefined;
beforeEach(async () => {
  server = await PrivateNatsServer.start();
  env = await environment(server.url);
});
afterEach(async () => {
  // Thawed first (a frozen process takes no SIGTERM), and always disposed, whatever failed before.
  try {
    server?.resume();
    await env?.cleanup();
  } finally {
    await server?.dispose();
    server = undefined;
    env = undefined;
  }
});

/** DELETE /orders/:id, given up after 5 s: a publish waited for would hold it about 16 s. */
const cancel = (url: string, clientOrderId: string) =>
  fetch(`${url}/orders/${clientOrderId}`, { method: "DELETE", signal: AbortSignal.timeout(5_000) });

describe("order events while JetStream does not answer and NATS still reads as connected", () => {
  it("cancels are stored and answered at once, one after the other; their events go out in order once the server answers again", async () => {
    if (env === undefined || server === undefined) throw new Error("no environment");
    const engine = await env.start({ OUTBOX_SWEEP_MS: "500" });
    await env.quote("BTCUSDT", 30_000);
    await env.signal("hang-1", limitBuy(29_000));
    await env.signal("hang-2", limitBuy(28_900));
    await env.waitEvent("hang-1", "placed");
    await env.waitEvent("hang-2", "placed");
    const [first, second] = ["hang-1", "hang-2"].map(
      (id) => engine.engine.restingOrders().find((o) => o.req.id === id)?.clientOrderId ?? "",
    );
    // Frozen: the connection stays open and nothing is answered; the client would call it gone only
    // after three unanswered pings, 10 s apart.
    server.pause();
    expect(engine.bus.isConnected()).toBe(true);
    expect((await cancel(engine.url, first ?? "")).status).toBe(200);
    expect((await cancel(engine.url, second ?? "")).status).toBe(200);
    const stored = await env.db.pool.query(
      "SELECT signal_id, status FROM engine_signals WHERE signal_id LIKE 'hang-%' ORDER BY signal_id",
    );
    expect(stored.rows).toEqual([
      { signal_id: "hang-1", status: "CANCELED" },
      { signal_id: "hang-2", status: "CANCELED" },
    ]);
    // Nothing went out while frozen: both cancels' events wait in the outbox.
    const kept = await env.db.pool.query(
      `SELECT count(*)::int AS n FROM engine_outbox WHERE events LIKE '%"event":"canceled"%'`,
    );
    expect(kept.rows[0]?.n).toBe(2);
    server.resume();
    await env.waitEvent("hang-2", "canceled");
    const canceled = (await env.orderEvents()).filter((e) => e.event === "canceled").map((e) => e.signal_id);
    expect(canceled).toEqual(["hang-1", "hang-2"]);
  });
});
