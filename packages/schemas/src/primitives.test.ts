import { describe, expect, it } from "vitest";
import { Fraction, Leverage, numericIn, Positive, SymbolName } from "./primitives.js";

const issue = (r: { success: boolean; error?: { issues: { message: string }[] } }) =>
  r.error?.issues.map((i) => i.message).join("; ");

describe("numericIn", () => {
  it("accepts numbers and numeric strings inside the range", () => {
    expect(Fraction.parse("0.72")).toBe(0.72);
    expect(Fraction.parse(0)).toBe(0);
    expect(Fraction.parse(1)).toBe(1);
    expect(Leverage.parse("20")).toBe(20);
    expect(Positive.parse("1e-8")).toBe(1e-8);
  });

  it("names the range and the value it rejects", () => {
    expect(issue(Fraction.safeParse("1.5"))).toBe('expected a number from 0 to 1, got "1.5"');
    expect(issue(Positive.safeParse(0))).toBe("expected a number greater than 0, got 0");
    expect(issue(Leverage.safeParse("2.5"))).toBe('expected an integer from 1 to 125, got "2.5"');
    expect(issue(numericIn({ min: 0 }).safeParse(-1))).toBe("expected a number of at least 0, got -1");
    expect(issue(numericIn({ max: 9 }).safeParse("10"))).toBe('expected a number of at most 9, got "10"');
  });

  it("never reads blank or non-numeric text as zero", () => {
    for (const bad of ["", " ", "abc", "1,5", "NaN", "Infinity"])
      expect(numericIn({ min: 0 }).safeParse(bad).success, bad).toBe(false);
    expect(numericIn({}).safeParse(Number.POSITIVE_INFINITY).success).toBe(false);
  });
});

describe("SymbolName", () => {
  it("normalizes case and whitespace", () => {
    expect(SymbolName.parse(" btcusdt ")).toBe("BTCUSDT");
  });

  it("rejects other characters, naming the value", () => {
    expect(issue(SymbolName.safeParse("BTC-USDT"))).toBe('expected a symbol such as BTCUSDT, got "BTC-USDT"');
    expect(SymbolName.safeParse("B").success).toBe(false);
  });
});
