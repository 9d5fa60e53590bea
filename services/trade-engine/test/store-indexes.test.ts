import { describe, expect, it } from "vitest";
import { migratedStore } from "./migrated-store.js";

const t = migratedStore("engidx");

describe("engine tables", () => {
  it("what a long-running engine looks up by key is served by an index, not a scan of its history", async () => {
    const client = await t.store.pool.connect();
    try {
      // With scans priced out, a plan still scanning would mean no index serves the lookup.
      await client.query("SET enable_seqscan = off");
      const plan = async (sql: string) =>
        (await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${sql}`)).rows
          .map((r) => r["QUERY PLAN"])
          .join("\n");
      // Each increment of a working order sums its fills; a lifecycle reads a signal's orders.
      expect(await plan("SELECT sum(quantity) FROM engine_fills WHERE order_id = 'o-1'")).toMatch(
        /engine_fills_order/,
      );
      // Each reconciliation looks for fills recorded with their fees unread (late-fees.ts).
      expect(await plan("SELECT count(*) FROM engine_fills WHERE fees_unread IS NOT NULL")).toMatch(
        /engine_fills_fees_unread/,
      );
      expect(await plan("SELECT order_id FROM engine_orders WHERE signal_id = 's-1'")).toMatch(
        /engine_orders_signal/,
      );
      // The working orders, loaded at start (exchange and paper).
      expect(
        await plan(
          "SELECT order_id FROM engine_orders WHERE status IN ('NEW', 'PARTIALLY_FILLED') ORDER BY created_at",
        ),
      ).toMatch(/engine_orders_working/);
      expect(
        await plan("SELECT order_id FROM engine_orders WHERE status = 'NEW' ORDER BY created_at"),
      ).toMatch(/engine_orders_working/);
      // The cooldowns a start recovers: the orders of the last COOLDOWN_SECONDS.
      expect(
        await plan("SELECT symbol FROM engine_orders WHERE created_at > now() - make_interval(secs => 30)"),
      ).toMatch(/engine_orders_created/);
      // GET /orders: the latest 500, of one status or all.
      expect(await plan("SELECT order_id FROM engine_orders ORDER BY created_at DESC LIMIT 500")).toMatch(
        /engine_orders_created/,
      );
    } finally {
      client.release();
    }
  });
});
