import { gaussian } from "./random.js";

/**
 * A price path with realistic texture: volatility regimes, trends that start and end, and
 * occasional jumps. `drift` for the next steps is decided before the price moves, so the order
 * book can lean into the move ahead of it.
 */
export class PricePath {
  price: number;
  /** Per-step expected log return of the current trend. */
  drift = 0;
  private vol: number;
  private trendStepsLeft = 0;

  constructor(
    start: number,
    private readonly random: () => number,
    private readonly baseVol = 0.00006,
  ) {
    this.price = start;
    this.vol = baseVol;
  }

  /** Decides the regime for the coming steps; call before `step()`. */
  plan(): void {
    if (this.trendStepsLeft <= 0) {
      const trending = this.random() < 0.5;
      this.drift = trending ? (this.random() < 0.5 ? -1 : 1) * this.baseVol * (0.2 + this.random() * 0.4) : 0;
      this.trendStepsLeft = 50 + Math.floor(this.random() * 300);
      this.vol = this.baseVol * (0.5 + this.random() * 1.5);
    }
    this.trendStepsLeft -= 1;
  }

  step(): number {
    const jump = this.random() < 0.002 ? gaussian(this.random) * this.vol * 15 : 0;
    const logReturn = this.drift + this.vol * gaussian(this.random) + jump;
    this.price *= Math.exp(logReturn);
    return this.price;
  }
}
