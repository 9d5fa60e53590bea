import { pgSchema } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  countStored,
  findGaps,
  lastStoredOpen,
  loadRecentKlines,
  migrate,
  recordUnfillable,
  writeKlines,
} from "../src/storage/index.js";
import { loadCandleRows } from "./candles.js";
import { row, T } from "./helpers.js";

const M = 60_000;
const key = { market: "spot" as const, symbol: "BTCUSDT", interval: "1m" as const };
let db: Awaited<ReturnType<typeof pgSchema>>;
beforeEach(async () => {
  db = await pgSchema("kx");
  await migrate(db.pool);
});
afterEach(async () => {
  await db.cleanup();
});

describe("klines storage", () => {
  it("applies migrations idempotently inside a non-public schema, even concurrently (F36)", async () => {
    expect(await migrate(db.pool)).toEqual([]);
    await Promise.all([migrate(db.pool), migrate(db.pool)]);
    const tables = await db.pool.query<{ table_schema: string; table_name: string }>(
      `SELECT table_schema, table_name FROM information_schema.tables
       WHERE table_name IN ('klines', 'kline_unfillable_gaps', 'kline_extractor_migrations') ORDER BY table_name`,
    );
    expect(tables.rows.map((r) => r.table_schema)).toEqual([db.schema, db.schema, db.schema]);
  });

  it("writes idempotently and counts only what was really inserted", async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => row(T("2023-03-16T00:00:00Z") + i * M));
    expect(await writeKlines(db.pool, key, rows)).toBe(2500);
    expect(await writeKlines(db.pool, key, rows)).toBe(0);
    const overlapping = Array.from({ length: 600 }, (_, i) =>
      row(T("2023-03-16T00:00:00Z") + (2200 + i) * M),
    );
    expect(await writeKlines(db.pool, key, overlapping)).toBe(300);
    expect(await countStored(db.pool, key)).toBe(2800);
    // another series with the same open times is a different key
    expect(await writeKlines(db.pool, { ...key, market: "futures" }, rows.slice(0, 10))).toBe(10);
  });

  it("keeps decimal strings exact and reads the most recent candles oldest first", async () => {
    const base = T("2023-03-16T00:00:00Z");
    await writeKlines(db.pool, key, [
      row(base, M, "0.30000000000000004"),
      row(base + M, M, "27000.01"),
      row(base + 2 * M),
    ]);
    const recent = await loadRecentKlines(db.pool, { ...key, limit: 2 });
    expect(recent.map((k) => k.openTime)).toEqual([base + M, base + 2 * M]);
    expect(recent[0]).toMatchObject({
      close: "27000.01",
      trades: 3,
      closeTime: base + 2 * M - 1,
      symbol: "BTCUSDT",
    });
    const all = await loadRecentKlines(db.pool, { ...key, limit: 10 });
    expect(all[0]?.close).toBe("0.30000000000000004");
    const before = await loadRecentKlines(db.pool, { ...key, limit: 10, before: base + 2 * M });
    expect(before.map((k) => k.openTime)).toEqual([base, base + M]);
    expect(await lastStoredOpen(db.pool, key)).toBe(base + 2 * M);
    expect(await lastStoredOpen(db.pool, { ...key, symbol: "ETHUSDT" })).toBeUndefined();
  });

  it("finds exactly the real 80-minute halt of 2023-03-24 in the real 1m file with one query", async () => {
    const rows = loadCandleRows();
    expect(await writeKlines(db.pool, key, rows)).toBe(66_087);
    const gaps = await findGaps(db.pool, key, { stepMs: M });
    expect(gaps).toEqual([
      {
        start: T("2023-03-24T12:40:00Z"),
        end: T("2023-03-24T13:59:00Z"),
        missing: 80,
        knownUnfillable: false,
      },
    ]);
    await recordUnfillable(db.pool, key, T("2023-03-24T12:40:00Z"), T("2023-03-24T13:59:00Z"));
    expect((await findGaps(db.pool, key, { stepMs: M }))[0]?.knownUnfillable).toBe(true);
  });

  it("finds gaps at the edges of an explicit range and none for an empty series", async () => {
    const base = T("2023-03-16T00:00:00Z");
    await writeKlines(db.pool, key, [row(base + 2 * M), row(base + 3 * M), row(base + 6 * M)]);
    const gaps = await findGaps(db.pool, key, { stepMs: M, start: base, end: base + 9 * M });
    expect(gaps.map((g) => [(g.start - base) / M, (g.end - base) / M, g.missing])).toEqual([
      [0, 1, 2],
      [4, 5, 2],
      [7, 9, 3],
    ]);
    expect(await findGaps(db.pool, { ...key, symbol: "ETHUSDT" }, { stepMs: M })).toEqual([]);
  });
});
