import { type Bus, BusError, ThrottledLog } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { subjects, TradeIntent } from "@tradewire/schemas";
import type { Redis } from "ioredis";
import { CLOCK_AHEAD_SAID_MS, classifyEntry, entryIdMs, type Outcome } from "./classify.js";
import type { Config } from "./config.js";
import { fieldsToRecord } from "./decode.js";
import type { IntentCounter, IntentMetrics } from "./metrics.js";
import type { StreamEntry } from "./redis-replies.js";

export interface BatchResult {
  acked: number;
  /** Entries left pending because forwarding or dead-lettering failed; they are retried. */
  failed: number;
}

/** A fresh valid intent on its way to JetStream. */
interface Forward {
  entryId: string;
  intent: TradeIntent;
  ageMs: number;
}

/** The entry ids JetStream acked, and those whose publish failed. */
interface Forwarded {
  acked: string[];
  failed: string[];
}

/** What classifying a batch decided, and its forwards in flight. */
interface Decisions {
  entries: number;
  firstId: string | undefined;
  lastId: string | undefined;
  /** Settled without forwarding: stale, deleted, drained. */
  ack: string[];
  deadLetters: { entry: StreamEntry; reason: string }[];
  forwards: Promise<Forwarded> | undefined;
  drained: number;
}

export interface ProcessorDeps {
  admin: Redis;
  bus: Bus;
  cfg: Config;
  log: Logger;
  metrics: IntentMetrics;
}

/**
 * Decides and settles a batch: forwards fresh valid intents to JetStream (one batch publish, all
 * acks in flight), dead-letters invalid and poison entries meanwhile, counts stale ones, then
 * XACKs everything settled in one variadic call. Nothing is acked that was not forwarded (its
 * PubAck received), dead-lettered or counted (F21).
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

  /** Intents stamped later than Redis stored them: said at most once every few seconds. */
  private readonly clockAhead: ThrottledLog;

  constructor(private readonly deps: ProcessorDeps) {
    this.clockAhead = new ThrottledLog(deps.log, 5_000);
  }

  count(counter: IntentCounter, n = 1): void {
    this.totals[counter] += n;
    this.deps.metrics.inc(counter, n);
  }

  /**
   * Classifies the batch at once (its publishes leave then), then settles it. Only ids are kept
   * while the publish acks and the XACK are awaited, so batches in flight give the GC little to copy.
   */
  async process(
    entries: readonly StreamEntry[],
    deliveries: ReadonlyMap<string, number> = new Map(),
  ): Promise<BatchResult> {
    return this.settle(this.classify(entries, deliveries), deliveries);
  }

  private classify(entries: readonly StreamEntry[], deliveries: ReadonlyMap<string, number>): Decisions {
    const { cfg, log } = this.deps;
    const now = Date.now();
    const maxAgeMs = cfg.TRADE_INTENT_MAX_AGE_MINUTES * 60_000;
    const debug = log.isLevelEnabled("debug");
    const decisions: Decisions = {
      entries: entries.length,
      firstId: entries[0]?.id,
      lastId: entries.at(-1)?.id,
      ack: [],
      deadLetters: [],
      forwards: undefined,
      drained: 0,
    };
    const { ack, deadLetters } = decisions;
    const forwards: Forward[] = [];

    this.count("processed", entries.length);
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
      if (outcome.kind !== "invalid" && outcome.aheadMs > CLOCK_AHEAD_SAID_MS) this.sayAhead(entry, outcome);
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
            decisions.drained += 1;
            if (debug) this.logDrained(outcome.intent);
            ack.push(entry.id);
          } else {
            forwards.push({ entryId: entry.id, intent: outcome.intent, ageMs: outcome.ageMs });
          }
          break;
      }
    }
    if (forwards.length) decisions.forwards = this.forward(forwards, debug);
    return decisions;
  }

  private async settle(decisions: Decisions, deliveries: ReadonlyMap<string, number>): Promise<BatchResult> {
    const { cfg, admin, log, metrics } = this.deps;
    const { ack, deadLetters, forwards, drained } = decisions;
    // Dead letters are written while the forwards' acks are on their way.
    const [deadLettered, forwarded] = await Promise.all([
      deadLetters.length ? this.deadLetter(deadLetters, deliveries) : { done: [], failed: [] },
      forwards ?? { acked: [], failed: [] },
    ]);
    for (const id of deadLettered.done) ack.push(id);
    for (const id of forwarded.acked) ack.push(id);
    const unsettled = [...forwarded.failed, ...deadLettered.failed];
    if (unsettled.length) await this.uncountDelivery(unsettled, deliveries);
    if (ack.length) {
      await admin.xack(cfg.TRADE_INTENT_STREAM, cfg.TRADE_INTENT_GROUP, ...ack);
      const ackedAt = Date.now();
      for (const id of ack) metrics.latency.observe((ackedAt - entryIdMs(id)) / 1000);
    }
    if (drained) this.count("skippedDrain", drained);
    // One info line per batch: per-intent lines are debug, so logging never caps throughput.
    log.info("intent batch settled", {
      entries: decisions.entries,
      acked: ack.length,
      forwarded: forwarded.acked.length,
      drained,
      deadLettered: deadLettered.done.length,
      failed: unsettled.length,
      firstId: decisions.firstId,
      lastId: decisions.lastId,
    });
    return { acked: ack.length, failed: unsettled.length };
  }

  /**
   * Entries left pending because NATS or Redis refused what settles them: their next read must not
   * count as one more delivery, or an outage of a few retries would dead-letter valid intents as
   * poison (MAX_DELIVERIES counts reads, and an intent is at most a few KB: no publish fails for
   * what it holds). Their delivery count is set back to what it was before this read.
   */
  private async uncountDelivery(ids: readonly string[], deliveries: ReadonlyMap<string, number>) {
    const { admin, cfg } = this.deps;
    const byCount = new Map<number, string[]>();
    for (const id of ids) {
      const before = Math.max(0, (deliveries.get(id) ?? 1) - 1);
      const group = byCount.get(before);
      if (group === undefined) byCount.set(before, [id]);
      else group.push(id);
    }
    // JUSTID: the claim itself is no delivery; RETRYCOUNT sets the count.
    for (const [count, group] of byCount)
      await admin.xclaim(
        cfg.TRADE_INTENT_STREAM,
        cfg.TRADE_INTENT_GROUP,
        cfg.TRADE_INTENT_CONSUMER,
        0,
        ...group,
        "RETRYCOUNT",
        count,
        "JUSTID",
      );
  }

  /** Publishes the intents in one batch, all acks in flight; keeps only their ids while waiting. */
  private forward(forwards: readonly Forward[], debug: boolean): Promise<Forwarded> {
    const entryIds: string[] = [];
    const msgIds: string[] = [];
    const items: { value: TradeIntent; msgId: string }[] = [];
    for (const { entryId, intent } of forwards) {
      const msgId = intent.intent_id ?? entryId;
      entryIds.push(entryId);
      msgIds.push(msgId);
      items.push({ value: intent, msgId });
    }
    // The intents are TradeIntent's own output (classifyEntry parsed them): no second validation.
    const published = this.deps.bus.publishDurableBatch(subjects.tradeIntent(), TradeIntent, items, {
      trusted: true,
    });
    return this.confirm(published, entryIds, msgIds, debug ? forwards : undefined);
  }

  private async confirm(
    published: ReturnType<Bus["publishDurableBatch"]>,
    entryIds: readonly string[],
    msgIds: readonly string[],
    detail: readonly Forward[] | undefined,
  ): Promise<Forwarded> {
    const results = await published;
    const acked: string[] = [];
    let firstFailure: { intentId: string | undefined; err: BusError } | undefined;
    results.forEach((result, i) => {
      if (result instanceof BusError) {
        firstFailure ??= { intentId: msgIds[i], err: result };
        return;
      }
      const entryId = entryIds[i];
      if (entryId === undefined) return;
      acked.push(entryId);
      const forward = detail?.[i];
      if (forward !== undefined)
        this.deps.log.debug("intent forwarded", {
          intentId: msgIds[i],
          symbol: forward.intent.symbol,
          action: forward.intent.action,
          ageMs: forward.ageMs,
          streamSeq: result.seq,
          duplicate: result.duplicate,
        });
    });
    const ackedIds = new Set(acked);
    const failed = entryIds.filter((id) => !ackedIds.has(id));
    if (acked.length) this.count("forwarded", acked.length);
    if (failed.length > 0) {
      this.count("publishFailed", failed.length);
      this.deps.log.error("intent forwards failed; left pending for retry", {
        failed: failed.length,
        ...firstFailure,
      });
    }
    return { acked, failed };
  }

  private sayAhead(entry: StreamEntry, outcome: Extract<Outcome, { aheadMs: number }>): void {
    this.clockAhead.warn(
      "intent stamped later than Redis stored it: its producer's clock is ahead (or wrote local time); aged from when it was stored",
      {
        entryId: entry.id,
        symbol: outcome.intent.symbol,
        aheadMs: outcome.aheadMs,
        storedAt: new Date(entryIdMs(entry.id)).toISOString(),
      },
    );
  }

  private logDrained(intent: TradeIntent): void {
    this.deps.log.debug("intent drained in SAFE_DRAIN mode; not forwarded", {
      intentId: intent.intent_id,
      symbol: intent.symbol,
      action: intent.action,
    });
  }

  /**
   * Writes each entry to the DLQ with its original fields, reason, source id and delivery count;
   * returns the ids written, and those whose write failed (left pending, retried with backoff).
   */
  private async deadLetter(
    items: readonly { entry: StreamEntry; reason: string }[],
    deliveries: ReadonlyMap<string, number>,
  ): Promise<{ done: string[]; failed: string[] }> {
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
    const failed: string[] = [];
    results.forEach(([error], i) => {
      const item = items[i];
      if (!item) return;
      if (error) {
        failed.push(item.entry.id);
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
    return { done, failed };
  }
}
