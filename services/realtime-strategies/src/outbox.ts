import type { Bus } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { parseWith, subjects, TradingSignal, type TradingSignalInput } from "@tradewire/schemas";
import { backoffDelay, sleep, type TaskContext } from "@tradewire/supervisor";

/**
 * Validates each generated signal (VALIDATED or REJECTED), queues it (QUEUED), and publishes it to
 * JetStream with Nats-Msg-Id = signal_id and an awaited ack (FORWARDED). A publish failure keeps
 * the signal and retries with backoff; a full outbox rejects loudly, never silently.
 */
export class SignalOutbox {
  private readonly queue: TradingSignal[] = [];
  private wake: (() => void) | undefined;
  readonly counts = { forwarded: 0, rejected: 0, retries: 0 };

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
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, 1000);
        });
        this.wake = undefined;
        continue;
      }
      try {
        const ack = await this.bus.publishDurable(subjects.signal(), TradingSignal, next, {
          msgId: next.signal_id ?? "",
        });
        this.queue.shift();
        failures = 0;
        this.counts.forwarded += 1;
        this.onOutcome(next.strategy_id, "forwarded");
        ctx.count("forwarded");
        this.log.info("FORWARDED", {
          stage: "FORWARDED",
          signalId: next.signal_id,
          strategy: next.strategy_id,
          symbol: next.symbol,
          streamSeq: ack.seq,
          duplicate: ack.duplicate,
        });
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
  }
}
