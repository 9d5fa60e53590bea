import type { Redis } from "ioredis";

export type StartPosition = "new" | "backlog";

/** Redis reports a missing group as NOGROUP; the consumer recreates it and goes on. */
export function isNoGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOGROUP");
}

/**
 * Creates the group if missing (MKSTREAM), at `$` for "new" (only entries written from now on)
 * or `0` for "backlog". Returns true when it created the group; an existing group is left as is.
 */
export async function ensureGroup(
  redis: Redis,
  stream: string,
  group: string,
  start: StartPosition,
): Promise<boolean> {
  try {
    await redis.xgroup("CREATE", stream, group, start === "new" ? "$" : "0", "MKSTREAM");
    return true;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("BUSYGROUP")) return false;
    throw error;
  }
}

/** Moves the group's last-delivered id: "new" = `$`, "backlog" = `0`, or an explicit entry id. */
export async function setGroupPosition(
  redis: Redis,
  stream: string,
  group: string,
  position: string,
): Promise<string> {
  const id = position === "new" ? "$" : position === "backlog" ? "0" : position;
  if (id !== "$" && id !== "0" && !/^\d+(-\d+)?$/.test(id)) {
    throw new Error(
      `invalid position ${JSON.stringify(position)}: expected new, backlog or an entry id like 1700000000000-0`,
    );
  }
  await redis.xgroup("SETID", stream, group, id);
  return id;
}

export interface ConsumerInfo {
  name: string;
  pending: number;
  idleMs: number;
}

/** XINFO CONSUMERS as typed records. */
export async function listConsumers(redis: Redis, stream: string, group: string): Promise<ConsumerInfo[]> {
  const rows = (await redis.xinfo("CONSUMERS", stream, group)) as unknown[][];
  return rows.map((row) => {
    const rec: Record<string, unknown> = {};
    for (let i = 0; i + 1 < row.length; i += 2) rec[String(row[i])] = row[i + 1];
    return { name: String(rec.name), pending: Number(rec.pending), idleMs: Number(rec.idle) };
  });
}

export interface GroupInfo {
  name: string;
  consumers: number;
  pending: number;
  lastDeliveredId: string;
  /** Entries not yet delivered to the group (Redis 7). */
  lag: number | null;
}

export async function listGroups(redis: Redis, stream: string): Promise<GroupInfo[]> {
  const rows = (await redis.xinfo("GROUPS", stream)) as unknown[][];
  return rows.map((row) => {
    const rec: Record<string, unknown> = {};
    for (let i = 0; i + 1 < row.length; i += 2) rec[String(row[i])] = row[i + 1];
    return {
      name: String(rec.name),
      consumers: Number(rec.consumers),
      pending: Number(rec.pending),
      lastDeliveredId: String(rec["last-delivered-id"]),
      lag: rec.lag === null || rec.lag === undefined ? null : Number(rec.lag),
    };
  });
}
