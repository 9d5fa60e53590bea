import { type BackoffOptions, backoffDelay, Doorbell, sleep, type TaskContext } from "@tradewire/supervisor";

export interface PublishQueueOptions<T> {
  /** The most items held; `offer` refuses more (the caller says and counts it). */
  capacity: number;
  /** Publishes one item, resolving once it is stored (acked); throws to keep it for a retry. */
  publish(item: T, timeoutMs?: number): Promise<void>;
  /** Whether NATS answers: a stopping queue does not wait on one that does not. */
  isConnected(): boolean;
  /** A publish failed and the item is kept: tried again in `retryInMs`, or (stopping) not again. */
  onFailed(item: T, error: unknown, retryInMs: number | undefined): void;
  /** Stopping with items not published: the flush ran out of time, or NATS is away. */
  onDropped(items: readonly T[]): void;
  /** The task counter each published item adds to. */
  countAs: string;
  backoff?: BackoffOptions;
  /** How long a stopping queue keeps publishing what it holds (default 2000). */
  flushOnStopMs?: number;
}

/**
 * Items published to JetStream in order, each stored before the next, by a supervised task: the
 * producer never waits on NATS, and an item NATS could not take is kept and tried again, backing
 * off, never lost without a word. Stopping, what is held goes out while NATS answers, within
 * `flushOnStopMs`; the rest is handed to `onDropped`.
 */
export class PublishQueue<T> {
  private readonly items: T[] = [];
  private readonly bell = new Doorbell();

  constructor(private readonly opts: PublishQueueOptions<T>) {}

  get size(): number {
    return this.items.length;
  }

  /** Queues `item`; false when the queue is full (it is not taken). */
  offer(item: T): boolean {
    if (this.items.length >= this.opts.capacity) return false;
    this.items.push(item);
    this.bell.ring();
    return true;
  }

  /** The publishing loop: a supervisor task. */
  async run(ctx: TaskContext): Promise<void> {
    const backoff = this.opts.backoff ?? { initialMs: 200, maxMs: 5_000 };
    let failures = 0;
    while (!ctx.signal.aborted) {
      ctx.progress();
      ctx.gauge("queued", this.items.length);
      const next = this.items[0];
      if (next === undefined) {
        // Rung by an offer or ended by a stop; the timeout keeps the task's progress beating.
        await this.bell.wait(1_000, ctx.signal);
        continue;
      }
      try {
        await this.publishHead(next);
        failures = 0;
        ctx.count(this.opts.countAs);
      } catch (error) {
        failures += 1;
        const retryInMs = backoffDelay(failures, backoff);
        this.opts.onFailed(next, error, retryInMs);
        // Not cut short by offers: a flood of them must not turn the backoff into a spin.
        await sleep(retryInMs, ctx.signal);
      }
    }
    await this.flushOnStop();
  }

  private async publishHead(next: T, timeoutMs?: number): Promise<void> {
    await this.opts.publish(next, timeoutMs);
    this.items.shift();
  }

  private async flushOnStop(): Promise<void> {
    const deadline = Date.now() + (this.opts.flushOnStopMs ?? 2_000);
    for (let next = this.items[0]; next !== undefined; next = this.items[0]) {
      const leftMs = deadline - Date.now();
      if (leftMs <= 0 || !this.opts.isConnected()) break;
      try {
        await this.publishHead(next, leftMs);
      } catch (error) {
        this.opts.onFailed(next, error, undefined);
        break;
      }
    }
    if (this.items.length > 0) this.opts.onDropped(this.items.splice(0));
  }
}
