import { describe, expect, it } from "vitest";
import {
  compareDecimal,
  multiplyDecimal,
  numberToDecimal,
  roundDownToStep,
  roundToTick,
  toDecimal,
  trimDecimal,
} from "./decimal.js";

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

  it("expands numbers exactly, so flooring never rounds up at the 8th digit", () => {
    expect(numberToDecimal(3.3e-7)).toBe("0.00000033");
    expect(numberToDecimal(1.5e21)).toBe("1500000000000000000000");
    expect(numberToDecimal(-0.1 - 0.2)).toBe("-0.30000000000000004");
    // toFixed(8) would say 0.00001000 and the floor would reach the step: the exact value stays below it.
    expect(roundDownToStep(numberToDecimal(0.000009999999), "0.00001")).toBe("0.00000");
  });

  it("compares, multiplies and trims without floats", () => {
    expect(compareDecimal("5.00000000", "5")).toBe(0);
    expect(compareDecimal("4.9", "5")).toBe(-1);
    expect(multiplyDecimal("0.00033", "30001")).toBe("9.90033");
    expect(trimDecimal("0.12300000")).toBe("0.123");
    expect(trimDecimal("-0.000")).toBe("0");
  });

  it("rounds to the tick down, up or to nearest, exactly at any input length", () => {
    expect(roundToTick("30000.129999", "0.01", "down")).toBe("30000.12");
    expect(roundToTick("30000.120001", "0.01", "up")).toBe("30000.13");
    expect(roundToTick("30000.12", "0.01", "up")).toBe("30000.12");
    expect(roundToTick("30000.125", "0.01")).toBe("30000.13");
    expect(roundToTick("30000.1249999999", "0.01", "nearest")).toBe("30000.12");
    expect(roundToTick("0.74", "0.5")).toBe("0.5");
    expect(roundToTick("0.000001234", "0.00000100", "down")).toBe("0.00000100");
    expect(roundDownToStep("-0.123", "0.01")).toBe("-0.13");
  });

  it("F24 keeps float artifacts out of the strings an order is built from", () => {
    const sum = numberToDecimal(0.1 + 0.2);
    expect(sum).toBe("0.30000000000000004");
    expect(trimDecimal(roundDownToStep(sum, "0.00100000"))).toBe("0.3");
    expect(multiplyDecimal(numberToDecimal(0.1), "3")).toBe("0.3");
    expect(multiplyDecimal("0.00001000", "60000.00")).toBe("0.6");
    expect(multiplyDecimal("0", "5.5")).toBe("0");
  });

  it("rejects exponent, empty or non-decimal input, naming the argument", () => {
    expect(() => roundDownToStep("1e-8", "0.00001")).toThrow(
      'value: expected a plain decimal string, got "1e-8"',
    );
    expect(() => roundToTick("100", "1e-2")).toThrow('tick: expected a plain decimal string, got "1e-2"');
    expect(() => roundDownToStep("1", "0.000")).toThrow('step: expected a positive decimal, got "0.000"');
    expect(() => compareDecimal("", "1")).toThrow('a: expected a plain decimal string, got ""');
    expect(() => multiplyDecimal("2", "NaN")).toThrow('b: expected a plain decimal string, got "NaN"');
    expect(() => numberToDecimal(Number.NaN)).toThrow("expected a finite number");
  });
});
