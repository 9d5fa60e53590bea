import type { Bus } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { subjects, TradeIntent } from "@tradewire/schemas";
import type { Redis } from "ioredis";
import { classifyEntry, entryIdMs } from "./classify.js";
import type { Config } from "./config.js";
import { fieldsToRecord } from "./decode.js";
import type { IntentCounter, IntentMetrics } from "./metrics.js";
import type { StreamEntry } from "./redis-replies.js";

export interface BatchResult {
  acked: number;
  /** Entries left pending because forwarding failed; they are retried. */
  failed: number;
}

export interface ProcessorDeps {
  admin: Redis;
  bus: Bus;
  cfg: Config;
  log: Logger;
  metrics: IntentMetrics;
}

/**
 * Decides and settles a batch: forwards fresh valid intents to JetStream (acks in flight, one
 * awaited Promise.all), dead-letters invalid and poison entries, counts stale ones, then XACKs
 * everything settled in one variadic call. Nothing is acked that was not forwarded, dead-lettered
 * or counted (F21).
 */
export class BatchProcessor {
  /** Totals since start, for the heartbeat line. */
  readonly totals: Record<IntentCounter, number> = {
    processed: 0,
    forwarded: 0,
    stale: 0,
    deadLettered: 0,
    reclaimed: 0,
    skippedDrain: 0,
    publishFailed: 0,
  };

  constructor(private readonly deps: ProcessorDeps) {}

  count(counter: IntentCounter, n = 1): void {
    this.totals[counter] += n;
    this.deps.metrics.inc(counter, n);
  }

  async process(
    entries: readonly StreamEntry[],
    deliveries: ReadonlyMap<string, number> = new Map(),
  ): Promise<BatchResult> {
    const { cfg, log, admin } = this.deps;
    const now = Date.now();
    const maxAgeMs = cfg.TRADE_INTENT_MAX_AGE_MINUTES * 60_000;
    const ack: string[] = [];
    const deadLetters: { entry: StreamEntry; reason: string }[] = [];
    const forwards: Promise<string | undefined>[] = [];
    let drained = 0;

    this.count("processed", entries.length);
    const debug = this.deps.log.isLevelEnabled("debug");
    for (const entry of entries) {
      if (entry.fields === null) {
        log.warn("pending entry was deleted from the stream; acking", { entryId: entry.id });
        ack.push(entry.id);
        continue;
      }
      const delivered = deliveries.get(entry.id) ?? 1;
      if (delivered > cfg.TRADE_INTENT_MAX_DELIVERIES) {
        deadLetters.push({
          entry,
          reason: `poison: delivered ${delivered} times (max ${cfg.TRADE_INTENT_MAX_DELIVERIES})`,
        });
        continue;
      }
      const outcome = classifyEntry(
        cfg.TRADE_INTENT_STREAM,
        entry.id,
        fieldsToRecord(entry.fields),
        now,
        maxAgeMs,
      );
      switch (outcome.kind) {
        case "invalid":
          deadLetters.push({ entry, reason: outcome.reason });
          break;
        case "stale":
          this.count("stale");
          log.warn("intent stale; acked, not forwarded", {
            intentId: outcome.intent.intent_id,
            symbol: outcome.intent.symbol,
            ageMs: outcome.ageMs,
            timeSource: outcome.timeSource,
            maxAgeMinutes: cfg.TRADE_INTENT_MAX_AGE_MINUTES,
          });
          ack.push(entry.id);
          break;
        case "forward":
          if (cfg.TRADE_INTENT_SAFE_DRAIN) {
            drained += 1;
            if (debug) this.logDrained(outcome.intent);
            ack.push(entry.id);
          } else {
            forwards.push(this.forward(entry.id, outcome.intent, outcome.ageMs));
          }
          break;
      }
    }

    if (deadLetters.length) ack.push(...(await this.deadLetter(deadLetters, deliveries)));
    const forwarded = await Promise.all(forwards);
    for (const id of forwarded) if (id !== undefined) ack.push(id);
    if (ack.length) {
      await admin.xack(cfg.TRADE_INTENT_STREAM, cfg.TRADE_INTENT_GROUP, ...ack);
      const ackedAt = Date.now();
      for (const id of ack) this.deps.metrics.latency.observe((ackedAt - entryIdMs(id)) / 1000);
    }
    const failed = forwards.length - forwarded.filter((id) => id !== undefined).length;
    if (drained) this.count("skippedDrain", drained);
    // One info line per batch: per-intent lines are debug, so logging never caps throughput.
    this.deps.log.info("intent batch settled", {
      entries: entries.length,
      acked: ack.length,
      forwarded: forwards.length - failed,
      drained,
      deadLettered: deadLetters.length,
      failed,
      firstId: entries[0]?.id,
      lastId: entries.at(-1)?.id,
    });
    return { acked: ack.length, failed };
  }

  private async forward(entryId: string, intent: TradeIntent, ageMs: number): Promise<string | undefined> {
    const intentId = intent.intent_id ?? entryId;
    try {
      // The intent is TradeIntent's own output (classifyEntry parsed it): no second validation.
      const pub = await this.deps.bus.publishDurable(subjects.tradeIntent(), TradeIntent, intent, {
        msgId: intentId,
        trusted: true,
      });
      this.count("forwarded");
      if (this.deps.log.isLevelEnabled("debug"))
        this.deps.log.debug("intent forwarded", {
          intentId,
          symbol: intent.symbol,
          action: intent.action,
          ageMs,
          streamSeq: pub.seq,
          duplicate: pub.duplicate,
        });
      return entryId;
    } catch (error) {
      this.count("publishFailed");
      this.deps.log.error("intent forward failed; left pending for retry", { intentId, err: error });
      return undefined;
    }
  }

  private logDrained(intent: TradeIntent): void {
    this.deps.log.debug("intent drained in SAFE_DRAIN mode; not forwarded", {
      intentId: intent.intent_id,
      symbol: intent.symbol,
      action: intent.action,
    });
  }

  /** Writes each entry to the DLQ with its original fields, reason, source id and delivery count. */
  private async deadLetter(
    items: readonly { entry: StreamEntry; reason: string }[],
    deliveries: ReadonlyMap<string, number>,
  ): Promise<string[]> {
    const { admin, cfg, log } = this.deps;
    const pipeline = admin.pipeline();
    for (const { entry, reason } of items) {
      pipeline.xadd(
        cfg.TRADE_INTENT_DLQ_STREAM,
        "*",
        ...(entry.fields ?? []),
        "dlq_reason",
        reason,
        "dlq_source_stream",
        cfg.TRADE_INTENT_STREAM,
        "dlq_source_id",
        entry.id,
        "dlq_delivery_count",
        String(deliveries.get(entry.id) ?? 1),
        "dlq_at",
        new Date().toISOString(),
      );
    }
    const results = (await pipeline.exec()) ?? [];
    const done: string[] = [];
    results.forEach(([error], i) => {
      const item = items[i];
      if (!item) return;
      if (error) {
        log.error("dead-letter write failed; entry left pending", { entryId: item.entry.id, err: error });
        return;
      }
      done.push(item.entry.id);
      this.count("deadLettered");
      log.warn("intent dead-lettered", {
        entryId: item.entry.id,
        reason: item.reason,
        dlq: cfg.TRADE_INTENT_DLQ_STREAM,
      });
    });
    return done;
  }
}
