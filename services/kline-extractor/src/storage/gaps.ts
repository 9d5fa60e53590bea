import type { Pool } from "pg";
import type { SeriesKey } from "./types.js";

/** A run of missing candles: open times `start` to `end` inclusive. */
export interface StoredGap {
  start: number;
  end: number;
  /** Missing candles in the run. */
  missing: number;
  /** An earlier gap-fill found that the exchange has no candles here (a trading halt). */
  knownUnfillable: boolean;
}

/**
 * Finds every run of missing candles of a fixed-size interval in ONE query: the stored open
 * times in the range plus two sentinels just outside it, ordered, and `lag()` to spot jumps
 * larger than one step. Without `start`/`end` the range is the stored range (first to last).
 */
const GAPS_SQL = `
WITH bounds AS (
  SELECT COALESCE($4::bigint, min(open_time)) AS lo, COALESCE($5::bigint, max(open_time)) AS hi
  FROM klines WHERE market = $1 AND symbol = $2 AND "interval" = $3
),
points AS (
  SELECT k.open_time FROM klines k, bounds b
  WHERE k.market = $1 AND k.symbol = $2 AND k."interval" = $3 AND k.open_time BETWEEN b.lo AND b.hi
  UNION ALL SELECT lo - $6::bigint FROM bounds WHERE lo IS NOT NULL AND hi IS NOT NULL
  UNION ALL SELECT hi + $6::bigint FROM bounds WHERE lo IS NOT NULL AND hi IS NOT NULL
),
steps AS (
  SELECT open_time, lag(open_time) OVER (ORDER BY open_time) AS prev FROM points
)
SELECT s.prev + $6::bigint AS gap_start, s.open_time - $6::bigint AS gap_end,
       (s.open_time - s.prev) / $6::bigint - 1 AS missing,
       EXISTS (SELECT 1 FROM kline_unfillable_gaps u
               WHERE u.market = $1 AND u.symbol = $2 AND u."interval" = $3
                 AND u.gap_start <= s.prev + $6::bigint AND u.gap_end >= s.open_time - $6::bigint) AS known
FROM steps s
WHERE s.prev IS NOT NULL AND s.open_time - s.prev > $6::bigint
ORDER BY gap_start`;

export async function findGaps(
  pool: Pool,
  key: SeriesKey,
  opts: { stepMs: number; start?: number; end?: number },
): Promise<StoredGap[]> {
  const result = await pool.query<{ gap_start: string; gap_end: string; missing: string; known: boolean }>(
    GAPS_SQL,
    [key.market, key.symbol, key.interval, opts.start ?? null, opts.end ?? null, opts.stepMs],
  );
  return result.rows.map((r) => ({
    start: Number(r.gap_start),
    end: Number(r.gap_end),
    missing: Number(r.missing),
    knownUnfillable: r.known,
  }));
}

/** Remembers a range the exchange returned nothing for, so later runs do not fetch it again. */
export async function recordUnfillable(
  pool: Pool,
  key: SeriesKey,
  start: number,
  end: number,
): Promise<void> {
  await pool.query(
    `INSERT INTO kline_unfillable_gaps (market, symbol, "interval", gap_start, gap_end)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (market, symbol, "interval", gap_start) DO UPDATE SET gap_end = GREATEST(kline_unfillable_gaps.gap_end, EXCLUDED.gap_end)`,
    [key.market, key.symbol, key.interval, start, end],
  );
}
