import { randomUUID } from "node:crypto";
import { type Bus, BusError, ThrottledLog } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { TimeoutError, withTimeout } from "@tradewire/supervisor";
import type { Counter } from "prom-client";
import { type OutgoingOrderEvent, publishOrderEvents } from "./order-events.js";
import type { EngineStore, OutboxRow } from "./store.js";

/** What a paper batch's commit writes to the outbox and deletes from it, in its one statement. */
export interface OutboxWrite extends OutboxRow {
  /** Batches whose events are out: their rows go with this commit, at no round trip of their own. */
  published: readonly string[];
}

/**
 * Order events, stored by the statement that stores what they announce (a paper batch's one
 * statement, or one write of the one-by-one path, see DirectStore) and deleted once they are
 * published: a crash (or a NATS outage outlasting the retries) between the commit and the publish
 * delays them, never loses them. `sweep` publishes what was left behind (their msg ids make a
 * repeat a no-op) and deletes the rows of published ones when no commit came to.
 */
export class EventOutbox {
  /** Published, row not deleted yet. */
  private published: string[] = [];
  /** Committed by this process and being published: not the sweep's to repeat. */
  private readonly inFlight = new Set<string>();
  private readonly prefix = randomUUID().slice(0, 8);
  private seq = 0;

  /** Rows kept for the sweep without a publish (NATS away, JetStream not answering): said every 10 s at most. */
  private readonly kept: ThrottledLog;
  /** The last publish went unanswered after its retries, and none went through since. */
  private unanswered = false;
  /** The one-by-one path's rows waiting for (or in) their publish, in the order they were stored. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      store: EngineStore;
      bus: Bus;
      log: Logger;
      republished: Counter;
      /** Counts each stored event by kind: the orders metric tells the story the bus does. */
      orders: Counter<"status">;
    },
  ) {
    this.kept = new ThrottledLog(deps.log, 10_000);
  }

  /** The write for the next batch's commit; `publish` (once it is committed) or `rolledBack` follows. */
  write(events: readonly OutgoingOrderEvent[]): OutboxWrite {
    const published = this.published;
    this.published = [];
    return { ...this.row(events), published };
  }

  /** A row for one write of the one-by-one path; `publish` follows once it is stored. */
  row(events: readonly OutgoingOrderEvent[]): OutboxRow {
    return { batchId: `${this.prefix}-${this.seq++}`, events };
  }

  /** The commit failed: nothing was stored or deleted, so its deletions wait for the next one. */
  rolledBack(write: OutboxWrite): void {
    this.published.push(...write.published);
  }

  /**
   * Publishes a stored row's events. What fails after its retries is logged and stays in the
   * outbox for the sweep, rather than failing what stored it (a redelivery would be a duplicate).
   */
  private publishOrKeep(row: OutboxRow): Promise<void> {
    // NATS away, or JetStream not answering: the publish would wait out its acks and retries
    // (about 16 s), and every row queued behind it would too. The row is stored; the sweep sends it.
    const why = !this.deps.bus.isConnected()
      ? "NATS is not connected"
      : this.unanswered
        ? "JetStream did not answer the last publish"
        : undefined;
    if (why !== undefined) {
      this.kept.warn(`${why}: order events kept in the outbox for the sweep`, {
        batchId: row.batchId,
        events: row.events.length,
      });
      return Promise.resolve();
    }
    return this.publish(row).catch((error: unknown) =>
      this.deps.log.error("order events could not be published; the outbox keeps them", {
        batchId: row.batchId,
        err: error,
      }),
    );
  }

  /**
   * Publishes a stored row's events after the rows queued before it, so events go out in the order
   * they were stored, whichever path stored them; resolves once they are out or kept for the sweep
   * (never rejects). Queued rows are in flight, not the sweep's to repeat.
   */
  publishInTurn(row: OutboxRow): Promise<void> {
    this.enqueue(row);
    return this.queue;
  }

  /**
   * The same without waiting: the one-by-one path stores under the engine's lock, and a JetStream
   * that does not answer while NATS stays connected would hold every exit and cancel behind it.
   */
  enqueue(row: OutboxRow): void {
    for (const e of row.events) this.deps.orders.inc({ status: e.value.event });
    this.inFlight.add(row.batchId);
    this.queue = this.queue
      .then(() => this.publishOrKeep(row))
      .finally(() => this.inFlight.delete(row.batchId));
  }

  /**
   * Waits for the queued publishes, `maxMs` at most (shutdown); false if some were still going.
   * What is left is in the outbox: the next start sends it.
   */
  async drain(maxMs: number): Promise<boolean> {
    try {
      await withTimeout(this.queue, maxMs, "order events queued for publishing");
      return true;
    } catch (error) {
      if (error instanceof TimeoutError) return false;
      throw error;
    }
  }

  /**
   * Publishes a stored row's events; the error (after retries) leaves them for the sweep. Only the
   * queue calls it, which keeps the row in flight meanwhile.
   */
  private async publish(write: OutboxRow): Promise<void> {
    if (write.events.length === 0) return;
    await this.answered(publishOrderEvents(this.deps.bus, write.events));
    this.published.push(write.batchId);
  }

  /**
   * Notes whether JetStream answered a publish: while the last one went unanswered (after its
   * retries), the one-by-one path and batches keep their rows for the sweep, whose first publish
   * that goes through lifts it.
   */
  private async answered(publishing: Promise<void>): Promise<void> {
    try {
      await publishing;
      this.unanswered = false;
    } catch (error) {
      if (error instanceof Error && error.cause instanceof BusError && error.cause.retryable)
        this.unanswered = true;
      throw error;
    }
  }

  /**
   * Deletes the rows of published batches, then publishes the events of batches left behind
   * longer than `graceMs` (a crashed process's, a failed publish's) and deletes their rows.
   */
  async sweep(graceMs: number): Promise<void> {
    const { store, log } = this.deps;
    await this.deletePublished();
    // While a publish went unanswered, the rows kept meanwhile are the sweep's at once, in the order
    // stored; with none left anywhere (another replica's sweep sent them), nothing is kept back.
    const { rows } = await store.query<{ batch_id: string; events: string }>(
      "engine_outbox_left",
      `SELECT batch_id, events FROM engine_outbox
       WHERE created_at < now() - make_interval(secs => $1::float8 / 1000) AND NOT (batch_id = ANY($2))
       ORDER BY created_at`,
      [this.unanswered ? 0 : graceMs, [...this.inFlight]],
    );
    if (rows.length === 0) this.unanswered = false;
    // One row that cannot go out (not JSON, an event the schema refuses) must not hold back the
    // rows after it: it stays, and says so at every sweep.
    for (const row of rows)
      await this.republish(row.batch_id, row.events).catch((error: unknown) =>
        log.error("order events left in the outbox could not be published; kept for the next sweep", {
          batchId: row.batch_id,
          err: error,
        }),
      );
  }

  /**
   * Deletes the rows of batches published since the last commit or sweep (also at shutdown, so the
   * next start does not take them for events never published and send them again).
   */
  async deletePublished(): Promise<void> {
    const done = this.published;
    this.published = [];
    try {
      if (done.length > 0) await this.delete(done);
    } catch (error) {
      this.published.push(...done);
      throw error;
    }
  }

  private async republish(batchId: string, text: string): Promise<void> {
    // Validated again when published (OrderEvent), like any event.
    const events = JSON.parse(text) as OutgoingOrderEvent[];
    this.deps.log.warn("stored order events were never published; publishing them now", {
      batchId,
      events: events.length,
      eventIds: events.map((e) => e.value.event_id),
    });
    await this.answered(publishOrderEvents(this.deps.bus, events));
    this.deps.republished.inc(events.length);
    await this.delete([batchId]);
  }

  private async delete(batchIds: readonly string[]): Promise<void> {
    await this.deps.store.query(
      "engine_outbox_delete",
      "DELETE FROM engine_outbox WHERE batch_id = ANY($1)",
      [batchIds],
    );
  }
}
