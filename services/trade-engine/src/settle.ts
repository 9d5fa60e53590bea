import type { DurableMessage } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { backoffCeiling } from "@tradewire/supervisor";
import type { Outcome } from "./engine.js";

/** How many failed attempts are remembered at most (the oldest go first): far above any backlog in flight. */
const REMEMBERED = 10_000;

/**
 * Failed attempts to decide each message of one consumer, by stream sequence. JetStream's delivery
 * count also grows with every "busy" nak (another replica deciding it) and every redelivery after
 * the ack wait, so a message could be dead-lettered on its first real failure; this counts failures
 * only. Kept in memory: a restart starts the count again (more retries, never fewer).
 */
export class DeliveryFailures {
  private readonly failed = new Map<number, number>();

  /** One more failure of this message; how many it has had. */
  fail(seq: number): number {
    const n = (this.failed.get(seq) ?? 0) + 1;
    this.failed.delete(seq);
    this.failed.set(seq, n);
    if (this.failed.size > REMEMBERED) {
      const oldest = this.failed.keys().next().value;
      if (oldest !== undefined) this.failed.delete(oldest);
    }
    return n;
  }

  forget(seq: number): void {
    this.failed.delete(seq);
  }
}

/**
 * Settles each message by its outcome: acked once decided, nak'ed to look again later when another
 * replica is deciding it, nak'ed with the error logged when deciding it failed, backing off from 1 s
 * to a minute; after `maxFailures` failed attempts it is dead-lettered with the error, not retried
 * for as long as the stream keeps it. Acks go out together.
 */
export async function settleAll(
  messages: readonly DurableMessage<unknown>[],
  outcomes: readonly (Outcome | Error)[],
  failures: DeliveryFailures,
  log: Logger,
  maxFailures: number,
): Promise<void> {
  const settled: Promise<void>[] = [];
  for (const [i, m] of messages.entries()) {
    const outcome = outcomes[i];
    const fields = { subject: m.subject, seq: m.streamSequence, deliveries: m.deliveryCount };
    if (outcome === "done") {
      failures.forget(m.streamSequence);
      settled.push(m.ack());
      continue;
    }
    if (outcome === "busy") {
      m.nak(1_000);
      continue;
    }
    const error = outcome ?? new Error("no outcome for this message");
    const failed = failures.fail(m.streamSequence);
    if (failed < maxFailures) {
      const retryInMs = backoffCeiling(failed, { initialMs: 1_000, maxMs: 60_000 });
      log.error("deciding a message failed; it will be redelivered", {
        ...fields,
        failed,
        retryInMs,
        err: error,
      });
      m.nak(retryInMs);
      continue;
    }
    failures.forget(m.streamSequence);
    log.error("deciding a message failed on every attempt; dead-lettered", { ...fields, failed, err: error });
    settled.push(
      m.term(`failed ${failed} times: ${error.message}`).catch((termError: unknown) => {
        log.error("dead-letter publish failed; the message will be redelivered", {
          ...fields,
          err: termError,
        });
        m.nak(5_000);
      }),
    );
  }
  await Promise.all(settled);
}
