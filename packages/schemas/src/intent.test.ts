import { describe, expect, it } from "vitest";
import { parseWith } from "./errors.js";
import { TradeIntent } from "./intent.js";

const realPayload = {
  symbol: "NEARUSDT",
  side: "BUY",
  confidence: 0.72,
  entry_price: 1.465,
  stop_loss: 1.4357,
  take_profit: 1.4943,
  position_size_usd: 200.0,
  leverage: 1,
  timestamp: "2025-12-24T04:32:14.062679",
  model: "ensemble",
};

describe("TradeIntent", () => {
  it("parses the real producer payload; a zone-less timestamp is UTC", () => {
    const intent = TradeIntent.parse(realPayload);
    expect(intent.action).toBe("BUY");
    expect(intent.timestamp).toBe(Date.UTC(2025, 11, 24, 4, 32, 14, 62));
    expect(intent).not.toHaveProperty("side");
  });

  it("accepts every field as a string, as Redis stream fields arrive", () => {
    const asStrings = Object.fromEntries(Object.entries(realPayload).map(([k, v]) => [k, String(v)]));
    const intent = TradeIntent.parse(asStrings);
    expect(intent.confidence).toBe(0.72);
    expect(intent.leverage).toBe(1);
    expect(intent.position_size_usd).toBe(200);
  });

  it("maps direction LONG/SHORT/FLAT and lower-case actions", () => {
    expect(TradeIntent.parse({ ...realPayload, side: undefined, direction: "short" }).action).toBe("SELL");
    expect(TradeIntent.parse({ ...realPayload, side: undefined, direction: "FLAT" }).action).toBe("CLOSE");
    expect(TradeIntent.parse({ ...realPayload, side: undefined, action: "sell" }).action).toBe("SELL");
  });

  it("rejects conflicting aliases and a missing action", () => {
    expect(TradeIntent.safeParse({ ...realPayload, direction: "SHORT" }).success).toBe(false);
    const result = parseWith(TradeIntent, "TradeIntent", { ...realPayload, side: undefined });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.problems[0]?.field).toBe("action");
  });

  it("names the field and value for leverage out of range and an unknown side", () => {
    const result = parseWith(TradeIntent, "TradeIntent", { ...realPayload, leverage: "200", side: "HOLD" });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: "leverage", value: "200" }),
          expect.objectContaining({ field: "side", value: "HOLD" }),
        ]),
      );
    }
  });

  it("F13 rejects an empty payload rather than defaulting it", () => {
    expect(TradeIntent.safeParse({}).success).toBe(false);
  });

  it("accepts epoch-second and epoch-millisecond timestamps and an ISO time with offset", () => {
    expect(TradeIntent.parse({ ...realPayload, timestamp: "1766550734" }).timestamp).toBe(1766550734000);
    expect(TradeIntent.parse({ ...realPayload, timestamp: 1766550734062 }).timestamp).toBe(1766550734062);
    expect(TradeIntent.parse({ ...realPayload, timestamp: "2025-12-24T06:32:14+02:00" }).timestamp).toBe(
      Date.UTC(2025, 11, 24, 4, 32, 14),
    );
  });
});
