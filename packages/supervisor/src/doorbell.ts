/**
 * Wakes a polling loop early. `ring()` ends the current `wait`, or the next one at once when
 * nobody is waiting, so a ring during a poll is not lost; rings before a wait count as one. One
 * waiter at a time (one polling loop per bell): a second concurrent wait would only time out.
 */
export class Doorbell {
  private rung = false;
  private wake: (() => void) | undefined;

  ring(): void {
    this.rung = true;
    this.wake?.();
  }

  /** Resolves after `ms`, on a ring, or when `signal` aborts, with whether it was rung; never throws. */
  wait(ms: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        if (this.wake === done) this.wake = undefined;
        const rung = this.rung;
        this.rung = false;
        resolve(rung);
      };
      const timer = setTimeout(done, ms);
      if (this.rung || signal?.aborted) return done();
      signal?.addEventListener("abort", done, { once: true });
      this.wake = done;
    });
  }
}
