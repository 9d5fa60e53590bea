export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise that never rejects, so work kept in flight cannot become an unhandled rejection. */
export function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

export function unwrap<T>(s: Settled<T>): T {
  if (!s.ok) throw s.error;
  return s.value;
}

/** Work started in order and taken back in the same order, finished or not. */
export class InFlight<T> {
  private readonly queue: { promise: Promise<Settled<T>>; result?: Settled<T> }[] = [];

  get size(): number {
    return this.queue.length;
  }

  add(work: Promise<T>): void {
    const item: { promise: Promise<Settled<T>>; result?: Settled<T> } = { promise: settle(work) };
    // Records the outcome when it lands, so takeFinished() can see it without waiting.
    item.promise = item.promise.then((result) => {
      item.result = result;
      return result;
    });
    this.queue.push(item);
  }

  /** The oldest item's outcome, waiting for it; undefined when nothing is in flight. */
  async takeOldest(): Promise<Settled<T> | undefined> {
    const item = this.queue.shift();
    return item === undefined ? undefined : (item.result ?? (await item.promise));
  }

  /** The outcomes already known at the front of the queue, without waiting. */
  takeFinished(): Settled<T>[] {
    const done: Settled<T>[] = [];
    while (this.queue[0]?.result !== undefined) done.push(this.queue.shift()?.result as Settled<T>);
    return done;
  }
}
