import { type Bus, PublishQueue } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { parseWith, subjects, TradingSignal, type TradingSignalInput } from "@tradewire/schemas";
import type { TaskContext } from "@tradewire/supervisor";

/**
 * Validates each generated signal (VALIDATED or REJECTED), queues it (QUEUED), and publishes it to
 * JetStream with Nats-Msg-Id = signal_id and an awaited ack (FORWARDED). A publish failure keeps
 * the signal and retries with backoff; a full outbox rejects loudly, never silently. Stopping,
 * what it still holds goes out while NATS answers, for at most 2 s; the rest is said at warn with
 * its ids and counted `dropped`, never lost without a word (a restart would find it stale anyway).
 */
export class SignalOutbox {
  private readonly queue: PublishQueue<TradingSignal>;
  readonly counts = { forwarded: 0, duplicates: 0, rejected: 0, retries: 0, dropped: 0 };

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly capacity: number,
    private readonly onOutcome: (strategy: string, outcome: string) => void,
  ) {
    this.queue = new PublishQueue({
      capacity,
      countAs: "forwarded",
      publish: (next, timeoutMs) => this.forward(next, timeoutMs),
      isConnected: () => bus.isConnected(),
      onFailed: (next, error, retryInMs) => {
        if (retryInMs === undefined) {
          log.warn("signal publish failed while stopping", { signalId: next.signal_id, err: error });
          return;
        }
        this.counts.retries += 1;
        log.error("signal publish failed; kept for retry", {
          signalId: next.signal_id,
          queued: this.queue.size,
          delayMs: retryInMs,
          err: error,
        });
      },
      onDropped: (dropped) => {
        this.counts.dropped += dropped.length;
        for (const s of dropped) onOutcome(s.strategy_id, "dropped");
        log.warn("stopping with signals not forwarded: dropped", {
          dropped: dropped.length,
          signalIds: dropped.map((s) => s.signal_id),
          natsConnected: bus.isConnected(),
        });
      },
    });
  }

  get size(): number {
    return this.queue.size;
  }

  submit(input: TradingSignalInput): void {
    const ids = { signalId: input.signal_id, strategy: input.strategy_id, symbol: input.symbol };
    const parsed = parseWith(TradingSignal, "TradingSignal", input);
    if (!parsed.ok) {
      this.reject(ids, input.strategy_id, `invalid: ${parsed.error.message}`);
      return;
    }
    this.log.info("VALIDATED", { stage: "VALIDATED", ...ids });
    if (!this.queue.offer(parsed.value)) {
      this.reject(ids, input.strategy_id, `outbox full (${this.capacity})`);
      return;
    }
    this.log.info("QUEUED", { stage: "QUEUED", ...ids, queued: this.queue.size });
  }

  private reject(ids: Record<string, unknown>, strategy: string, reason: string): void {
    this.counts.rejected += 1;
    this.onOutcome(strategy, "rejected");
    this.log.warn("REJECTED", { stage: "REJECTED", ...ids, reason });
  }

  /** The publishing loop: a supervisor task. */
  run(ctx: TaskContext): Promise<void> {
    return this.queue.run(ctx);
  }

  /** Publishes one signal, awaiting its ack. */
  private async forward(next: TradingSignal, timeoutMs?: number): Promise<void> {
    const ack = await this.bus.publishDurable(subjects.signal(), TradingSignal, next, {
      msgId: next.signal_id ?? "",
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    const fields = {
      signalId: next.signal_id,
      strategy: next.strategy_id,
      symbol: next.symbol,
      streamSeq: ack.seq,
    };
    if (ack.duplicate) {
      // Its id was stored already (a restart deriving the same signal again): JetStream kept the
      // first, and the engine decides it once. Not counted forwarded: nothing new went out.
      this.counts.duplicates += 1;
      this.onOutcome(next.strategy_id, "duplicate");
      this.log.info("DUPLICATE: JetStream holds this signal id already; not sent again", {
        stage: "DUPLICATE",
        ...fields,
      });
      return;
    }
    this.counts.forwarded += 1;
    this.onOutcome(next.strategy_id, "forwarded");
    this.log.info("FORWARDED", { stage: "FORWARDED", ...fields });
  }
}
