import { describe, expect, it } from "vitest";
import { dueIntervals, nextWake } from "./scheduler.js";

const T = (iso: string) => Date.parse(iso);

describe("incremental schedule", () => {
  it("wakes at the next close of any configured interval", () => {
    expect(nextWake(["5m", "1h"], T("2023-03-24T12:43:17Z"))).toBe(T("2023-03-24T12:45:00Z"));
  });

  it("runs only the intervals whose candle closed since the last wake-up", () => {
    const after = T("2023-03-24T12:43:17Z");
    expect(dueIntervals(["1m", "5m", "1h"], after, T("2023-03-24T12:44:01Z"))).toEqual(["1m"]);
    expect(dueIntervals(["1m", "5m", "1h"], after, T("2023-03-24T12:45:00Z"))).toEqual(["1m", "5m"]);
    expect(dueIntervals(["1m", "5m", "1h"], after, T("2023-03-24T13:00:00Z"))).toEqual(["1m", "5m", "1h"]);
  });
});
