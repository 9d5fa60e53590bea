import { describe, expect, it } from "vitest";
import { backoffCeiling, backoffDelay } from "./backoff.js";

describe("backoff", () => {
  const options = { initialMs: 200, maxMs: 1_000 };

  it("doubles from initialMs at every attempt, up to maxMs", () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffCeiling(a, options))).toEqual([200, 400, 800, 1_000, 1_000]);
  });

  it("jitters between half and all of the ceiling", () => {
    expect(backoffDelay(3, options, () => 0)).toBe(400);
    expect(backoffDelay(3, options, () => 1)).toBe(800);
  });
});
