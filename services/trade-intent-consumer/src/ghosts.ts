import type { Logger } from "@tradewire/logger";
import type { Redis } from "ioredis";
import type { Config } from "./config.js";
import { listConsumers } from "./group.js";

/**
 * Removes consumers idle longer than GHOST_IDLE_MS with nothing pending (F18). Those still holding
 * entries are left for the reclaimer, which takes their entries over first.
 */
export async function removeGhosts(
  admin: Redis,
  cfg: Config,
  log: Logger,
  dryRun = false,
): Promise<string[]> {
  const removed: string[] = [];
  for (const c of await listConsumers(admin, cfg.TRADE_INTENT_STREAM, cfg.TRADE_INTENT_GROUP)) {
    if (c.name === cfg.TRADE_INTENT_CONSUMER || c.idleMs < cfg.TRADE_INTENT_GHOST_IDLE_MS) continue;
    if (c.pending > 0) {
      log.warn("ghost consumer still holds pending entries; they are reclaimed first", {
        consumer: c.name,
        pending: c.pending,
        idleMs: c.idleMs,
      });
      continue;
    }
    if (!dryRun) await admin.xgroup("DELCONSUMER", cfg.TRADE_INTENT_STREAM, cfg.TRADE_INTENT_GROUP, c.name);
    log.info(dryRun ? "ghost consumer would be removed" : "ghost consumer removed", {
      consumer: c.name,
      idleMs: c.idleMs,
    });
    removed.push(c.name);
  }
  return removed;
}
