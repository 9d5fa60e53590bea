/** Lag samples of one summary window (bounded reservoir), for p50/p99 in the summary line. */
export class LagWindow {
  private readonly samples: number[] = [];
  private seen = 0;

  constructor(private readonly capacity = 10_000) {}

  add(ms: number): void {
    this.seen += 1;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else {
      // Reservoir sampling keeps the window representative without growing.
      const slot = Math.floor(Math.random() * this.seen);
      if (slot < this.capacity) this.samples[slot] = ms;
    }
  }

  summary(): { p50: number; p99: number; samples: number } | undefined {
    if (this.samples.length === 0) return undefined;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
    return { p50: at(0.5), p99: at(0.99), samples: this.seen };
  }

  reset(): void {
    this.samples.length = 0;
    this.seen = 0;
  }
}
