import type { Bus } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { parseWith, subjects, TradingSignal, type TradingSignalInput } from "@tradewire/schemas";
import { backoffDelay, sleep, type TaskContext } from "@tradewire/supervisor";

/** How long a stopping outbox keeps publishing what it still holds. */
const FLUSH_ON_STOP_MS = 2_000;

/**
 * Validates each generated signal (VALIDATED or REJECTED), queues it (QUEUED), and publishes it to
 * JetStream with Nats-Msg-Id = signal_id and an awaited ack (FORWARDED). A publish failure keeps
 * the signal and retries with backoff; a full outbox rejects loudly, never silently.
 */
export class SignalOutbox {
  private readonly queue: TradingSignal[] = [];
  private wake: (() => void) | undefined;
  readonly counts = { forwarded: 0, rejected: 0, retries: 0, dropped: 0 };

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly capacity: number,
    private readonly onOutcome: (strategy: string, outcome: string) => void,
  ) {}

  get size(): number {
    return this.queue.length;
  }

  submit(input: TradingSignalInput): void {
    const ids = { signalId: input.signal_id, strategy: input.strategy_id, symbol: input.symbol };
    const parsed = parseWith(TradingSignal, "TradingSignal", input);
    if (!parsed.ok) {
      this.reject(ids, input.strategy_id, `invalid: ${parsed.error.message}`);
      return;
    }
    this.log.info("VALIDATED", { stage: "VALIDATED", ...ids });
    if (this.queue.length >= this.capacity) {
      this.reject(ids, input.strategy_id, `outbox full (${this.capacity})`);
      return;
    }
    this.queue.push(parsed.value);
    this.log.info("QUEUED", { stage: "QUEUED", ...ids, queued: this.queue.length });
    this.wake?.();
  }

  private reject(ids: Record<string, unknown>, strategy: string, reason: string): void {
    this.counts.rejected += 1;
    this.onOutcome(strategy, "rejected");
    this.log.warn("REJECTED", { stage: "REJECTED", ...ids, reason });
  }

  /** The publishing loop: a supervisor task. */
  async run(ctx: TaskContext): Promise<void> {
    let failures = 0;
    while (!ctx.signal.aborted) {
      ctx.progress();
      const next = this.queue[0];
      if (!next) {
        // Woken by a submit or a stop; the timer keeps the task's progress beating while idle.
        const woken = new AbortController();
        this.wake = () => woken.abort();
        await sleep(1000, AbortSignal.any([ctx.signal, woken.signal]));
        this.wake = undefined;
        continue;
      }
      try {
        await this.forward(next);
        failures = 0;
        ctx.count("forwarded");
      } catch (error) {
        failures += 1;
        this.counts.retries += 1;
        const delayMs = backoffDelay(failures, { initialMs: 200, maxMs: 5_000 });
        this.log.error("signal publish failed; kept for retry", {
          signalId: next.signal_id,
          queued: this.queue.length,
          delayMs,
          err: error,
        });
        await sleep(delayMs, ctx.signal);
      }
    }
    await this.flushOnStop();
  }

  /** Publishes the head of the queue (awaiting its ack) and takes it off. */
  private async forward(next: TradingSignal, timeoutMs?: number): Promise<void> {
    const ack = await this.bus.publishDurable(subjects.signal(), TradingSignal, next, {
      msgId: next.signal_id ?? "",
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    this.queue.shift();
    this.counts.forwarded += 1;
    this.onOutcome(next.strategy_id, "forwarded");
    this.log.info("FORWARDED", {
      stage: "FORWARDED",
      signalId: next.signal_id,
      strategy: next.strategy_id,
      symbol: next.symbol,
      streamSeq: ack.seq,
      duplicate: ack.duplicate,
    });
  }

  /**
   * Stopping: what is still queued goes out while NATS answers, for at most FLUSH_ON_STOP_MS; the
   * rest is said at warn with its ids and counted `dropped`, never lost without a word (a restart
   * would find it stale anyway).
   */
  private async flushOnStop(): Promise<void> {
    const deadline = Date.now() + FLUSH_ON_STOP_MS;
    for (let next = this.queue[0]; next !== undefined; next = this.queue[0]) {
      const leftMs = deadline - Date.now();
      if (leftMs <= 0 || !this.bus.isConnected()) break;
      try {
        await this.forward(next, leftMs);
      } catch (error) {
        this.log.warn("signal publish failed while stopping", { signalId: next.signal_id, err: error });
        break;
      }
    }
    if (this.queue.length === 0) return;
    const dropped = this.queue.splice(0);
    this.counts.dropped += dropped.length;
    for (const s of dropped) this.onOutcome(s.strategy_id, "dropped");
    this.log.warn("stopping with signals not forwarded: dropped", {
      dropped: dropped.length,
      signalIds: dropped.map((s) => s.signal_id),
      natsConnected: this.bus.isConnected(),
    });
  }
}
