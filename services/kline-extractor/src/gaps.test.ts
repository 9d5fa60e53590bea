import { describe, expect, it } from "vitest";
import { formatRange, missingRuns, rangeCount, toRuns } from "./gaps.js";

const M = 60_000;

describe("gap helpers", () => {
  it("counts candles of a range", () => {
    expect(rangeCount({ start: 0, end: 79 * M }, M)).toBe(80);
    expect(rangeCount({ start: M, end: 0 }, M)).toBe(0);
  });

  it("reports the whole range unfillable when the exchange returned nothing", () => {
    expect(missingRuns({ start: 0, end: 79 * M }, [], M)).toEqual([{ start: 0, end: 79 * M }]);
  });

  it("reports only the parts still missing after a partial fetch", () => {
    const got = [0, M, 5 * M, 9 * M];
    expect(missingRuns({ start: 0, end: 9 * M }, got, M)).toEqual([
      { start: 2 * M, end: 4 * M },
      { start: 6 * M, end: 8 * M },
    ]);
  });

  it("ignores candles outside the range and duplicates", () => {
    expect(missingRuns({ start: 2 * M, end: 4 * M }, [0, 3 * M, 3 * M, 10 * M], M)).toEqual([
      { start: 2 * M, end: 2 * M },
      { start: 4 * M, end: 4 * M },
    ]);
    expect(missingRuns({ start: 0, end: 2 * M }, [2 * M, 0, M], M)).toEqual([]);
  });

  it("collapses open times into runs and formats them in UTC", () => {
    expect(toRuns([0, M, 2 * M, 5 * M], M)).toEqual([
      { start: 0, end: 2 * M },
      { start: 5 * M, end: 5 * M },
    ]);
    expect(formatRange({ start: 0, end: M })).toBe("1970-01-01T00:00:00.000Z..1970-01-01T00:01:00.000Z");
  });
});
