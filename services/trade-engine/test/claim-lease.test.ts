import { createSilentLogger } from "@tradewire/logger";
import { describe, expect, it } from "vitest";
import type { SentDecision } from "../src/sent-decision.js";
import { EngineStore } from "../src/store.js";
import { migratedStore } from "./migrated-store.js";
import { orderRequest } from "./order-request.js";

// A 1 s lease, as a replica sees it.
const t = migratedStore("englease", 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const req = orderRequest({ id: "leased" });
/** The decision a claim stored as sent before its order went out. */
const sent: SentDecision = { side: "BUY", quantity: "0.01", refPrice: 30_000, notional: 300, closing: false };

describe("F22 claims across replicas", () => {
  it("a claim its holder renews stays busy past the lease; once renewals stop, it can be resumed", async () => {
    expect(await t.store.claim(req)).toEqual({ state: "new" });
    // The holder waits on the exchange for 1.6 s, renewing every 400 ms.
    for (let i = 0; i < 4; i++) {
      await sleep(400);
      await t.store.renewClaim(req.id);
    }
    // Busy, and held by this process (its own attempt).
    expect(await t.store.claim(req)).toEqual({ state: "busy", heldHere: true });
    await sleep(1_200);
    expect(await t.store.claim(req)).toEqual({ state: "resume" });
  });

  it("a resumed claim carries the decision sent to the exchange; a stored one that does not fit fails naming it", async () => {
    await t.store.claim(req);
    await t.store.markSent(req.id, sent);
    await sleep(1_100);
    expect(await t.store.claim(req)).toEqual({ state: "resume", sent });
    await t.store.pool.query(`UPDATE engine_signals SET sent = '{"side":"HOLD"}' WHERE signal_id = 'leased'`);
    await expect(t.store.claim(req)).rejects.toThrow(/engine_signals\.sent \(leased\)/);
  });

  it("F31 of two replicas that find a claim nobody renews, one takes it over and resumes it; the other finds it busy", async () => {
    await t.store.claim(req);
    await sleep(1_100);
    const other = EngineStore.connect(t.db.url, createSilentLogger(), 1);
    try {
      const claims = await Promise.all([t.store.claim(req), other.claim(req)]);
      expect(claims.map((c) => c.state).sort()).toEqual(["busy", "resume"]);
      // Taken over with a fresh lease: nobody else resumes it while its new holder works, and the
      // first holder no longer takes it for its own (a failed attempt of its own to take up at once).
      const first = claims[0]?.state === "resume" ? t.store : other;
      const second = first === t.store ? other : t.store;
      expect(await first.claim(req)).toEqual({ state: "busy", heldHere: true });
      expect(await second.claim(req)).toEqual({ state: "busy", heldHere: false });
    } finally {
      await other.pool.end();
    }
  });

  it("F28 a claim whose order was sent, found again only after reconciliation was free to correct it as drift, is closed, not resumed", async () => {
    const unsent = orderRequest({ id: "unsent-old" });
    for (const r of [req, unsent]) await t.store.claim(r);
    await t.store.markSent(req.id, sent);
    await t.store.pool.query("UPDATE engine_signals SET received_at = now() - interval '20 minutes'");
    expect(await t.store.claim(req)).toEqual({ state: "duplicate", status: "ABANDONED" });
    const { rows } = await t.store.pool.query(
      "SELECT status, reason FROM engine_signals WHERE signal_id = $1",
      [req.id],
    );
    expect(rows[0]).toMatchObject({
      status: "ABANDONED",
      reason: expect.stringMatching(/left to reconciliation \(corrected as drift\)$/),
    });
    // Nothing went out for one never sent: it is resumed and decided as usual.
    expect(await t.store.claim(unsent)).toEqual({ state: "resume" });
  });
});
