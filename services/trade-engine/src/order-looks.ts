import { Doorbell } from "@tradewire/supervisor";

/**
 * What the next exchange-order poll looks at: every working order (its own period, or a
 * (re)subscription's catch-up), or only those the user data stream named, so a busy stream costs
 * one lookup per order it reports instead of an open-orders request per symbol at every event.
 */
export class OrderLooks {
  private full = true;
  private readonly named = new Set<string>();
  private readonly bell = new Doorbell();

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

  /** Waits like a Doorbell; a wait that ran its whole time asks for every order. */
  async wait(ms: number, signal?: AbortSignal): Promise<boolean> {
    const rung = await this.bell.wait(ms, signal);
    if (!rung) this.full = true;
    return rung;
  }

  /** What to look at now, and cleared: undefined for every order, else the named ones. */
  take(): ReadonlySet<string> | undefined {
    const named = new Set(this.named);
    this.named.clear();
    if (!this.full) return named;
    this.full = false;
    return undefined;
  }
}
