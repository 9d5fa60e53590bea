import { round8 } from "./paper.js";

const DAY_MS = 86_400_000;
/** The UTC day number of an epoch time (epoch milliseconds have no leap seconds: every day is DAY_MS). */
const utcDay = (ms: number): number => Math.floor(ms / DAY_MS);

/**
 * Today's realized PnL, as the daily loss limit reads it: the UTC day's total, starting at 0 when
 * the day turns, like the stored `engine_daily_pnl` row of the day. Without the turn, yesterday's
 * gains would let today lose more than the limit, and yesterday's losses would block today.
 */
export class DailyPnl {
  private day: number;
  private realized = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.day = utcDay(now());
  }

  get value(): number {
    this.turn();
    return this.realized;
  }

  /** Today's total as stored (at start, or when the books are loaded again). */
  load(realized: number): void {
    this.day = utcDay(this.now());
    this.realized = realized;
  }

  add(realized: number): void {
    this.turn();
    this.realized = round8(this.realized + realized);
  }

  private turn(): void {
    const today = utcDay(this.now());
    if (today === this.day) return;
    this.day = today;
    this.realized = 0;
  }
}
