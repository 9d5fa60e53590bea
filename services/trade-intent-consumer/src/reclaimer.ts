import type { Logger } from "@tradewire/logger";
import { sleep, type TaskContext } from "@tradewire/supervisor";
import type { Redis } from "ioredis";
import type { Config } from "./config.js";
import { removeGhosts } from "./ghosts.js";
import { isNoGroup } from "./group.js";
import type { BatchProcessor } from "./processor.js";
import { autoClaimReply, pendingDeliveries } from "./redis-replies.js";

export interface ReclaimerDeps {
  admin: Redis;
  cfg: Config;
  log: Logger;
  processor: BatchProcessor;
}

/**
 * Periodically claims entries idle longer than RECLAIM_IDLE_MS from any consumer of the group
 * (dead pods) and settles them; an entry delivered more than MAX_DELIVERIES times is dead-lettered
 * as poison. Ghost consumers idle longer than GHOST_IDLE_MS with nothing pending are removed (F18).
 */
export class Reclaimer {
  constructor(private readonly deps: ReclaimerDeps) {}

  async run(ctx: TaskContext): Promise<void> {
    while (!ctx.signal.aborted) {
      ctx.progress();
      try {
        await this.reclaimOnce();
        await removeGhosts(this.deps.admin, this.deps.cfg, this.deps.log);
      } catch (error) {
        if (!isNoGroup(error)) throw error;
      }
      await sleep(this.deps.cfg.TRADE_INTENT_RECLAIM_INTERVAL_MS, ctx.signal);
    }
  }

  /** One XAUTOCLAIM sweep over the whole pending list; returns how many entries it took over. */
  async reclaimOnce(): Promise<number> {
    const { admin, cfg, log, processor } = this.deps;
    const stream = cfg.TRADE_INTENT_STREAM;
    const group = cfg.TRADE_INTENT_GROUP;
    let cursor = "0-0";
    let reclaimed = 0;
    do {
      const reply = autoClaimReply(
        await admin.xautoclaim(
          stream,
          group,
          cfg.TRADE_INTENT_CONSUMER,
          cfg.TRADE_INTENT_RECLAIM_IDLE_MS,
          cursor,
          "COUNT",
          100,
        ),
      );
      cursor = reply.cursor;
      if (reply.deleted.length) {
        log.warn("reclaimed entries were deleted from the stream; acking", { ids: reply.deleted });
        await admin.xack(stream, group, ...reply.deleted);
      }
      if (reply.entries.length === 0) continue;
      const first = reply.entries[0]?.id ?? "-";
      const last = reply.entries.at(-1)?.id ?? "+";
      const deliveries = pendingDeliveries(
        await admin.xpending(stream, group, first, last, reply.entries.length, cfg.TRADE_INTENT_CONSUMER),
      );
      reclaimed += reply.entries.length;
      log.info("reclaimed idle entries from other consumers", { count: reply.entries.length, first, last });
      this.deps.processor.count("reclaimed", reply.entries.length);
      await processor.process(reply.entries, deliveries);
    } while (cursor !== "0-0");
    return reclaimed;
  }
}
