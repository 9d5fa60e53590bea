export type { StoredGap } from "./gaps.js";
export { findGaps, recordUnfillable } from "./gaps.js";
export { KLINES_DDL, MIGRATIONS, migrate } from "./migrations.js";
export { databaseAddress, openPool, type PoolOptions } from "./pool.js";
export { countStored, lastStoredOpen, loadRecentKlines } from "./reader.js";
export type { KlineRow, SeriesKey, StoredKline } from "./types.js";
export { WRITE_BATCH_ROWS, writeKlines } from "./writer.js";
