/**
 * What the user data stream owes: every order the engine sent to the exchange must be reported on
 * it within `withinMs` (Binance sends NEW, or the fill, within milliseconds). An order still not
 * reported by then means a stream that is connected but silent (F39), which pings alone cannot
 * see. A report may beat the placement's own answer, so reports of orders not expected yet are
 * remembered for a while.
 */
export class StreamWatch {
  private readonly expected = new Map<string, number>();
  private readonly early = new Map<string, number>();

  constructor(
    readonly withinMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The engine sent this order; the stream should report it. */
  expect(clientOrderId: string): void {
    if (this.early.delete(clientOrderId)) return;
    this.expected.set(clientOrderId, this.now() + this.withinMs);
  }

  /** The stream reported this order. */
  seen(clientOrderId: string): void {
    if (!this.expected.delete(clientOrderId)) this.early.set(clientOrderId, this.now());
  }

  /** Orders overdue now, each said once; early reports older than the window are forgotten. */
  overdue(): string[] {
    const now = this.now();
    for (const [id, at] of this.early) if (now - at > this.withinMs) this.early.delete(id);
    const late = [...this.expected].filter(([, deadline]) => deadline <= now).map(([id]) => id);
    for (const id of late) this.expected.delete(id);
    return late;
  }

  /** A new subscription starts owing nothing: what it missed is caught up by the polls. */
  reset(): void {
    this.expected.clear();
    this.early.clear();
  }
}
