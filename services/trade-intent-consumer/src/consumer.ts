import type { Logger } from "@tradewire/logger";
import { backoffDelay, sleep, type TaskContext } from "@tradewire/supervisor";
import type { Redis } from "ioredis";
import type { Config } from "./config.js";
import { ensureGroup, isNoGroup } from "./group.js";
import { InFlight, type Settled, settle, unwrap } from "./in-flight.js";
import type { BatchProcessor, BatchResult } from "./processor.js";
import { pendingDeliveries, readGroupEntries, type StreamEntry } from "./redis-replies.js";

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
 *
 * New entries are pipelined: the next XREADGROUP is sent before the current batch is classified,
 * and up to TRADE_INTENT_BATCHES_IN_FLIGHT batches may await their JetStream acks and XACK at once.
 * Every entry is still acked only after its own outcome (F21); an entry read but not settled stays
 * in this consumer's pending list, which is read first on the next pass and on restart.
 */
export class IntentConsumer {
  constructor(private readonly deps: ConsumerDeps) {}

  async run(ctx: TaskContext): Promise<void> {
    await this.ensureGroup();
    let failures = 0;
    while (!ctx.signal.aborted) {
      const pendingFailed = await this.drainPending(ctx);
      // Pending entries all settled: whatever failed before has gone through.
      if (pendingFailed === 0) failures = 0;
      const failed = pendingFailed || (await this.consumeNew(ctx));
      if (failed === 0) continue;
      failures += 1;
      const delayMs = backoffDelay(failures, { initialMs: 250, maxMs: 5_000 });
      this.deps.log.warn("forwarding failed; retrying pending entries", { failed, delayMs });
      await sleep(delayMs, ctx.signal);
    }
  }

  /** Settles this consumer's own pending entries, one batch at a time; returns how many failed. */
  private async drainPending(ctx: TaskContext): Promise<number> {
    const { admin, cfg, processor } = this.deps;
    while (!ctx.signal.aborted) {
      ctx.progress();
      const entries = await this.read("0");
      if (entries.length === 0) return 0;
      const deliveries = pendingDeliveries(
        await admin.xpending(
          cfg.TRADE_INTENT_STREAM,
          cfg.TRADE_INTENT_GROUP,
          entries[0]?.id ?? "-",
          entries.at(-1)?.id ?? "+",
          entries.length,
          cfg.TRADE_INTENT_CONSUMER,
        ),
      );
      const { failed } = await processor.process(entries, deliveries);
      if (failed > 0) return failed;
    }
    return 0;
  }

  /**
   * Reads new entries until a batch fails or the task stops; returns how many entries failed.
   * What was read ahead when it stops is still settled, so a shutdown leaves nothing half-done.
   */
  private async consumeNew(ctx: TaskContext): Promise<number> {
    const window = this.deps.cfg.TRADE_INTENT_BATCHES_IN_FLIGHT;
    const batches = new InFlight<BatchResult>();
    let next: Promise<Settled<StreamEntry[]>> | undefined = settle(this.read(">"));
    let failed = 0;
    const count = (s: Settled<BatchResult> | undefined) => {
      if (s !== undefined) failed += unwrap(s).failed;
    };
    try {
      while (next !== undefined && failed === 0) {
        ctx.progress();
        const current: Promise<Settled<StreamEntry[]>> = next;
        next = undefined;
        const entries = unwrap(await current);
        // Redis serves the next read while this batch is classified and forwarded.
        if (!ctx.signal.aborted) next = settle(this.read(">"));
        if (entries.length > 0) batches.add(this.deps.processor.process(entries));
        for (const s of batches.takeFinished()) count(s);
        while (batches.size >= (next === undefined ? 1 : window)) count(await batches.takeOldest());
      }
      // A batch failed: it, and what was read ahead, stay pending and are read again first.
      while (batches.size > 0) count(await batches.takeOldest());
      const readAhead = next;
      next = undefined;
      if (readAhead !== undefined) unwrap(await readAhead);
      return failed;
    } finally {
      // Only after a throw is anything left here: wait for it, and log what else went wrong.
      const left: (Settled<unknown> | undefined)[] = [next !== undefined ? await next : undefined];
      while (batches.size > 0) left.push(await batches.takeOldest());
      for (const s of left)
        if (s?.ok === false)
          this.deps.log.error("intent batch failed while the read loop was failing", { err: s.error });
    }
  }

  private async read(id: "0" | ">"): Promise<StreamEntry[]> {
    const { cfg, log, reader } = this.deps;
    try {
      const reply = await reader.xreadgroup(
        "GROUP",
        cfg.TRADE_INTENT_GROUP,
        cfg.TRADE_INTENT_CONSUMER,
        "COUNT",
        cfg.TRADE_INTENT_BATCH_SIZE,
        "BLOCK",
        cfg.TRADE_INTENT_BLOCK_MS,
        "STREAMS",
        cfg.TRADE_INTENT_STREAM,
        id,
      );
      return readGroupEntries(reply);
    } catch (error) {
      if (!isNoGroup(error)) throw error;
      log.warn("consumer group missing; recreating it", {
        stream: cfg.TRADE_INTENT_STREAM,
        group: cfg.TRADE_INTENT_GROUP,
      });
      await this.ensureGroup();
      return [];
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
