import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  boundedText,
  caseInsensitiveEnum,
  decimalToNumber,
  Fraction,
  Leverage,
  Numeric,
  numericIn,
  Positive,
  parseTimestampMs,
  SymbolName,
  TimestampMs,
} from "./primitives.js";

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

describe("one-node field schemas", () => {
  it("reject a value of the wrong type, saying what was expected", () => {
    for (const bad of [true, {}, [], null]) {
      expect(issue(Numeric.safeParse(bad)), String(bad)).toBe("expected a number");
      expect(issue(Fraction.safeParse(bad)), String(bad)).toMatch(/^expected a number from 0 to 1, got /);
      expect(issue(TimestampMs.safeParse(bad)), String(bad)).toBe(
        "expected an ISO-8601 time or epoch seconds/milliseconds",
      );
      expect(issue(caseInsensitiveEnum(["A", "B"]).safeParse(bad)), String(bad)).toBe("expected one of A|B");
      expect(issue(SymbolName.safeParse(bad)), String(bad)).toMatch(/^expected a symbol such as BTCUSDT/);
      expect(issue(boundedText({ max: 5 }).safeParse(bad)), String(bad)).toBe(
        "expected text of at most 5 characters",
      );
    }
    expect(issue(Numeric.safeParse(Number.NaN))).toBe("expected a finite number");
  });

  it("boundedText keeps text within its length and names the length it got", () => {
    const id = boundedText({ min: 1, max: 3 });
    expect(id.parse("abc")).toBe("abc");
    expect(issue(id.safeParse(""))).toBe("expected text of 1 to 3 characters, not 0");
    expect(issue(id.safeParse("abcd"))).toBe("expected text of 1 to 3 characters, not 4");
  });

  it("in an object: a missing required field is 'required', a missing optional one stays absent", () => {
    const shape = z.object({ symbol: SymbolName, qty: Numeric, note: boundedText({ max: 9 }).optional() });
    expect(issue(shape.safeParse({}))).toBe("required; required");
    expect(shape.safeParse({}).error?.issues.map((i) => i.path.join("."))).toEqual(["symbol", "qty"]);
    const parsed = shape.parse({ symbol: "btcusdt", qty: "2" });
    expect(parsed).toEqual({ symbol: "BTCUSDT", qty: 2 });
    expect(Object.keys(parsed)).toEqual(["symbol", "qty"]);
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

describe("decimalToNumber", () => {
  // The grammar it replaced, kept here as the oracle: a signed decimal with optional exponent.
  const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
  const oracle = (text: string) => (DECIMAL.test(text.trim()) ? Number(text) : Number.NaN);

  it("reads exactly the decimal grammar, whatever Number() would also accept", () => {
    const alphabet = ["0", "1", "9", ".", "-", "+", "e", "E", "x", "X", "o", "b", "B", " ", "_", "I", "\t"];
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    let compared = 0;
    for (let i = 0; i < 20_000; i++) {
      let text = "";
      for (let n = next() % 7; n > 0; n--) text += alphabet[next() % alphabet.length];
      expect(decimalToNumber(text), JSON.stringify(text)).toStrictEqual(oracle(text));
      compared += 1;
    }
    expect(compared).toBe(20_000);
  });

  it("rejects blank text and radix literals that Number() reads as numbers", () => {
    for (const text of ["", "  ", "0x1f", "0X1F", "0o17", "0b11", " 0b11 "])
      expect(decimalToNumber(text), text).toBeNaN();
    expect(decimalToNumber(" -1.5e3 ")).toBe(-1500);
    expect(decimalToNumber(".5")).toBe(0.5);
    expect(decimalToNumber(42)).toBe(42);
  });
});

describe("parseTimestampMs", () => {
  const at = Date.UTC(2025, 11, 24, 4, 32, 14, 62);

  it("reads ISO times in every form producers write, zone-less ones as UTC", () => {
    expect(parseTimestampMs("2025-12-24T04:32:14.062Z")).toBe(at);
    expect(parseTimestampMs("2025-12-24T04:32:14.062679")).toBe(at);
    expect(parseTimestampMs("2025-12-24 04:32:14.062679")).toBe(at);
    expect(parseTimestampMs("2025-12-24T06:32:14.062+02:00")).toBe(at);
    expect(parseTimestampMs("2025-12-23T23:32:14.062-0500")).toBe(at);
    expect(parseTimestampMs(" 2025-12-24 ")).toBe(Date.UTC(2025, 11, 24));
  });

  it("reads epoch seconds and milliseconds, as numbers or text", () => {
    expect(parseTimestampMs("1766550734.062")).toBe(at);
    expect(parseTimestampMs(1766550734062)).toBe(at);
    expect(parseTimestampMs("1766550734062")).toBe(at);
  });

  it("F14 never turns what it cannot read into a time", () => {
    for (const bad of [
      "",
      " ",
      "yesterday",
      "0x69",
      "Infinity",
      "-5",
      "2025-13-01T00:00:00",
      "2025-12-24Tnoon",
      null,
      {},
    ])
      expect(parseTimestampMs(bad), String(bad)).toBeUndefined();
  });
});
