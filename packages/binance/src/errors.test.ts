import { describe, expect, it } from "vitest";
import { outcomeUnknown } from "./errors.js";

describe("outcomeUnknown", () => {
  it("is a 5xx, USD-M's 408, or -1006/-1007: the request may have been carried out", () => {
    expect(outcomeUnknown(503, undefined)).toBe(true);
    expect(outcomeUnknown(408, undefined)).toBe(true);
    expect(outcomeUnknown(400, -1007)).toBe(true);
    expect(outcomeUnknown(undefined, -1006)).toBe(true);
    // A refusal is an answer: -2010 at 400, and a 429 (retried by the limiter, never executed).
    expect(outcomeUnknown(400, -2010)).toBe(false);
    expect(outcomeUnknown(429, -1003)).toBe(false);
    expect(outcomeUnknown(undefined, undefined)).toBe(false);
  });
});
