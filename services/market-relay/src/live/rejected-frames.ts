import { type Bus, type DeadLetterRecord, ThrottledLog } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { subjects } from "@tradewire/schemas";
import { Counter, type Registry } from "prom-client";

const DEAD_LETTER_SOURCE = "market-relay";
const LOG_INTERVAL_MS = 5_000;
const MAX_PAYLOAD_CHARS = 4_096;

/**
 * Exchange frames the relay cannot normalize: counted per stream, logged (at most one line per
 * stream every few seconds, with how many it held back) and dead-lettered on
 * `deadletter.market-relay` with the reason and the raw frame, so nothing vanishes unexplained.
 */
export class RejectedFrames {
  private readonly failures: Counter<"stream">;
  private readonly lastLog = new Map<string, { at: number; held: number }>();
  private readonly unsent: ThrottledLog;

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.unsent = new ThrottledLog(log);
    this.failures = new Counter({
      name: "tradewire_md_parse_failures_total",
      help: "Exchange frames that failed validation or normalization",
      labelNames: ["stream"],
      registers: [registry],
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
    const sent = this.bus.publishEncoded(
      subjects.deadLetter(DEAD_LETTER_SOURCE),
      new TextEncoder().encode(JSON.stringify(record)),
    );
    // The record is then in the log only (at most one a second; the rest are counted above).
    if (!sent) this.unsent.warn("dead letter not published: NATS is disconnected", { ...record });
  }
}
