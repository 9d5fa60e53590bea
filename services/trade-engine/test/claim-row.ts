import type { Pool } from "pg";

/** A claim row staged in `engine_signals`, as a run cut short (or an earlier decision) left it. */
export interface ClaimRow {
  id: string;
  action: string;
  /** Stored as JSON; `{}` when the test is not about it. */
  request?: unknown;
  status?: "RECEIVED" | "REJECTED";
  reason?: string;
  /** The decision it sent (`sent`), stored as JSON. */
  sent?: unknown;
  /** How long ago it was received (0: now). */
  minutesAgo?: number;
}

/** Inserts a claim on BTCUSDT from strategy `test` (RECEIVED, undecided, unless said). */
export async function insertClaim(pool: Pool, c: ClaimRow): Promise<void> {
  await pool.query(
    `INSERT INTO engine_signals (signal_id, source, strategy_id, symbol, action, request, status, reason, sent, received_at)
     VALUES ($1, 'signal', 'test', 'BTCUSDT', $2, $3, $4, $5, $6, now() - make_interval(mins => $7))`,
    [
      c.id,
      c.action,
      JSON.stringify(c.request ?? {}),
      c.status ?? "RECEIVED",
      c.reason ?? null,
      c.sent === undefined ? null : JSON.stringify(c.sent),
      c.minutesAgo ?? 0,
    ],
  );
}
