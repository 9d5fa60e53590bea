import { randomUUID } from "node:crypto";
import { type Bus, type DeadLetterRecord, PublishQueue, ThrottledLog } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { subjects } from "@tradewire/schemas";
import type { TaskSpec } from "@tradewire/supervisor";
import { Counter, type Registry } from "prom-client";

const DEAD_LETTER_SOURCE = "market-relay";
const LOG_INTERVAL_MS = 5_000;
const MAX_PAYLOAD_CHARS = 4_096;
/** Records waiting for JetStream; a flood's beyond this are counted dropped and said. */
const MAX_QUEUED = 1_000;

/**
 * Exchange frames the relay cannot normalize: counted per stream, logged (at most one line per
 * stream every few seconds, with how many it held back) and dead-lettered on
 * `deadletter.market-relay` with the reason and the raw frame, so nothing vanishes unexplained.
 * The records go to JetStream from a queue its own task drains, each stored before the next
 * (acked; the stream declared again if it is gone): a frame handler never waits on NATS, and a
 * record NATS could not take is kept and tried again, not lost as a core publish would be.
 */
export class RejectedFrames {
  private readonly failures: Counter<"stream">;
  private readonly dropped: Counter;
  private readonly lastLog = new Map<string, { at: number; held: number }>();
  private readonly unsent: ThrottledLog;
  private readonly failing: ThrottledLog;
  private readonly queue: PublishQueue<{ record: DeadLetterRecord; msgId: string }>;
  /** Nats-Msg-Id prefix: a record published again after a lost ack is stored once. */
  private readonly runId = randomUUID();
  private offered = 0;

  constructor(
    bus: Bus,
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.unsent = new ThrottledLog(log, LOG_INTERVAL_MS);
    this.failing = new ThrottledLog(log, LOG_INTERVAL_MS);
    this.failures = new Counter({
      name: "tradewire_md_parse_failures_total",
      help: "Exchange frames that failed validation or normalization",
      labelNames: ["stream"],
      registers: [registry],
    });
    this.dropped = new Counter({
      name: "tradewire_md_dead_letters_dropped_total",
      help: "Dead letters of rejected frames not stored: the queue full, or the relay stopping with NATS away",
      registers: [registry],
    });
    this.queue = new PublishQueue({
      capacity: MAX_QUEUED,
      countAs: "deadLettered",
      publish: async ({ record, msgId }, timeoutMs) => {
        await bus.publishDurableEncoded(
          subjects.deadLetter(DEAD_LETTER_SOURCE),
          Buffer.from(JSON.stringify(record)),
          { msgId, ...(timeoutMs === undefined ? {} : { timeoutMs }) },
        );
      },
      isConnected: () => bus.isConnected(),
      onFailed: (_next, error, retryInMs) => {
        const fields = { queued: this.queue.size, err: error };
        if (retryInMs === undefined) log.warn("dead letter not stored while stopping", fields);
        else this.failing.error("dead letter not stored; kept and tried again", { ...fields, retryInMs });
      },
      onDropped: (left) => {
        this.dropped.inc(left.length);
        log.warn("stopping with dead letters not stored: their frames' reasons were said above", {
          dropped: left.length,
          reasons: [...new Set(left.map((l) => l.record.reason))].slice(0, 5),
          natsConnected: bus.isConnected(),
        });
      },
    });
  }

  reject(stream: string, reason: string, raw: string): void {
    this.failures.inc({ stream });
    const now = Date.now();
    const last = this.lastLog.get(stream);
    if (last !== undefined && now - last.at < LOG_INTERVAL_MS) last.held += 1;
    else {
      this.log.warn("exchange frame rejected", { stream, reason, heldBackSinceLast: last?.held ?? 0 });
      this.lastLog.set(stream, { at: now, held: 0 });
    }
    const record: DeadLetterRecord = {
      stream: DEAD_LETTER_SOURCE,
      consumer: DEAD_LETTER_SOURCE,
      subject: stream,
      streamSequence: 0,
      deliveryCount: 1,
      reason,
      payload: raw.slice(0, MAX_PAYLOAD_CHARS),
      timestamp: now,
    };
    this.offered += 1;
    const msgId = `${DEAD_LETTER_SOURCE}:${this.runId}:${this.offered}`;
    if (this.queue.offer({ record, msgId })) return;
    // The frame is counted and its reason said above; only its dead letter is not kept.
    this.dropped.inc();
    this.unsent.warn("dead letter dropped: the queue waiting for JetStream is full", {
      stream,
      reason,
      queued: this.queue.size,
    });
  }

  /** The supervised task that stores the queued records on the dead-letter stream. */
  task(): TaskSpec {
    return { name: "dead-letters", required: false, run: (ctx) => this.queue.run(ctx) };
  }
}
