import { describe, expect, it } from "vitest";
import { roundDownToStep, roundToTick, toDecimal } from "./decimal.js";

describe("decimal rounding", () => {
  it("F24 rounds quantities down to the step, never to nearest", () => {
    expect(roundDownToStep("0.12345678", "0.00001")).toBe("0.12345");
    expect(roundDownToStep("0.999999", "0.001")).toBe("0.999");
    expect(roundDownToStep("12", "1")).toBe("12");
    expect(roundDownToStep(toDecimal(0.1 + 0.2), "0.1")).toBe("0.3");
  });

  it("rounds prices to the nearest tick without float artifacts", () => {
    expect(roundToTick("30000.126", "0.01")).toBe("30000.13");
    expect(roundToTick("30000.124", "0.01")).toBe("30000.12");
    expect(toDecimal(0.1 + 0.2)).toBe("0.3");
  });
});
