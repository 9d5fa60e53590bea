import { Doorbell } from "@tradewire/supervisor";

/**
 * What the next exchange-order poll looks at: every working order (at least once per `periodMs`,
 * and after a (re)subscription or a failed round), or only those the user data stream named since,
 * so a busy stream costs one lookup per order it reports instead of an open-orders request per
 * symbol at every event, and never starves the full look that backs it up.
 */
export class OrderLooks {
  private full = true;
  private lastFull = Number.NEGATIVE_INFINITY;
  private readonly named = new Set<string>();
  private readonly bell = new Doorbell();

  constructor(
    private readonly periodMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Every working order, now. */
  all(): void {
    this.full = true;
    this.bell.ring();
  }

  /** This order, now. */
  order(clientOrderId: string): void {
    this.named.add(clientOrderId);
    this.bell.ring();
  }

  /** Waits like a Doorbell, for `ms` or a ring. */
  wait(ms: number, signal?: AbortSignal): Promise<boolean> {
    return this.bell.wait(ms, signal);
  }

  /**
   * One round: `poll` gets undefined for every order, else the named ones. A round that fails makes
   * the next one full, so what it was asked about is not forgotten.
   */
  async round(poll: (only: ReadonlySet<string> | undefined) => Promise<void>): Promise<void> {
    const named = new Set(this.named);
    this.named.clear();
    const full = this.full || this.now() - this.lastFull >= this.periodMs;
    if (full) {
      this.full = false;
      this.lastFull = this.now();
    }
    try {
      await poll(full ? undefined : named);
    } catch (error) {
      this.full = true;
      throw error;
    }
  }
}
