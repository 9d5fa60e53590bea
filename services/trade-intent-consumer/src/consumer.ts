import type { Logger } from "@tradewire/logger";
import { backoffDelay, sleep, type TaskContext } from "@tradewire/supervisor";
import type { Redis } from "ioredis";
import type { Config } from "./config.js";
import { ensureGroup, isNoGroup } from "./group.js";
import type { BatchProcessor } from "./processor.js";
import { pendingDeliveries, readGroupEntries } from "./redis-replies.js";

export interface ConsumerDeps {
  /** Dedicated to the blocking XREADGROUP. */
  reader: Redis;
  admin: Redis;
  cfg: Config;
  log: Logger;
  processor: BatchProcessor;
}

/**
 * The read loop: first re-processes this consumer's own pending entries (ID 0: F19), then reads
 * new ones (`>`) in batches with a bounded BLOCK (never 0: F23). A failed forward switches back to
 * the pending list after a backoff, so nothing is skipped. A deleted group is recreated (NOGROUP).
 */
export class IntentConsumer {
  constructor(private readonly deps: ConsumerDeps) {}

  async run(ctx: TaskContext): Promise<void> {
    const { cfg, log, reader, admin, processor } = this.deps;
    const stream = cfg.TRADE_INTENT_STREAM;
    const group = cfg.TRADE_INTENT_GROUP;
    const consumer = cfg.TRADE_INTENT_CONSUMER;
    await this.ensureGroup();
    let readPending = true;
    let failures = 0;
    while (!ctx.signal.aborted) {
      ctx.progress();
      const id = readPending ? "0" : ">";
      let reply: unknown;
      try {
        reply = await reader.xreadgroup(
          "GROUP",
          group,
          consumer,
          "COUNT",
          cfg.TRADE_INTENT_BATCH_SIZE,
          "BLOCK",
          cfg.TRADE_INTENT_BLOCK_MS,
          "STREAMS",
          stream,
          id,
        );
      } catch (error) {
        if (!isNoGroup(error)) throw error;
        log.warn("consumer group missing; recreating it", { stream, group });
        await this.ensureGroup();
        continue;
      }
      const entries = readGroupEntries(reply);
      if (readPending && entries.length === 0) {
        readPending = false;
        continue;
      }
      if (entries.length === 0) continue;
      const deliveries = readPending
        ? pendingDeliveries(
            await admin.xpending(
              stream,
              group,
              entries[0]?.id ?? "-",
              entries.at(-1)?.id ?? "+",
              entries.length,
              consumer,
            ),
          )
        : undefined;
      const result = await processor.process(entries, deliveries);
      if (result.failed > 0) {
        failures += 1;
        readPending = true;
        const delayMs = backoffDelay(failures, { initialMs: 250, maxMs: 5_000 });
        log.warn("forwarding failed; retrying pending entries", { failed: result.failed, delayMs });
        await sleep(delayMs, ctx.signal);
      } else {
        failures = 0;
        // Entries read from the pending list may have more behind them; keep going until empty.
      }
    }
  }

  /** Creates the group if missing; called at start so the start position is fixed before serving. */
  async ensureGroup(): Promise<void> {
    const { admin, cfg, log } = this.deps;
    const created = await ensureGroup(
      admin,
      cfg.TRADE_INTENT_STREAM,
      cfg.TRADE_INTENT_GROUP,
      cfg.TRADE_INTENT_START,
    );
    if (created) {
      log.info("consumer group created", {
        stream: cfg.TRADE_INTENT_STREAM,
        group: cfg.TRADE_INTENT_GROUP,
        position: cfg.TRADE_INTENT_START === "new" ? "new entries only ($)" : "whole backlog (0)",
      });
    }
  }
}
