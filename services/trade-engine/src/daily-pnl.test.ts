import { manualClock } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { DailyPnl } from "./daily-pnl.js";

describe("today's realized PnL (daily loss limit)", () => {
  it("starts again at 0 when the UTC day turns, with no restart", () => {
    const clock = manualClock(Date.UTC(2026, 10, 28, 23, 59, 0));
    const daily = new DailyPnl(clock.now);
    daily.load(2_000);
    daily.add(-150.5);
    expect(daily.value).toBe(1_849.5);
    clock.advance(2 * 60_000); // 00:01 UTC the next day
    // Yesterday's gains do not cover today's losses, nor do yesterday's losses block today.
    expect(daily.value).toBe(0);
    daily.add(-499.25);
    expect(daily.value).toBe(-499.25);
    clock.advance(12 * 3_600_000); // still the same UTC day
    daily.add(0.1);
    daily.add(0.2);
    expect(daily.value).toBe(-498.95);
  });

  it("a day that turns between two fills counts the second one alone", () => {
    const clock = manualClock(Date.UTC(2026, 10, 28, 23, 59, 59, 900));
    const daily = new DailyPnl(clock.now);
    daily.add(-300);
    clock.advance(200);
    daily.add(-250);
    expect(daily.value).toBe(-250);
  });
});
