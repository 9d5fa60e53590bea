import { describe, expect, it } from "vitest";
import { orderRequest } from "../test/order-request.js";
import { isEntry } from "./resting.js";

describe("resting orders: entry or close", () => {
  const order = (action: "BUY" | "SELL" | "CLOSE", side: "BUY" | "SELL", quantity: string) => ({
    req: orderRequest({ action }),
    side,
    quantity,
  });

  it("a SELL against a long is a close up to the long's size, an entry (a flip) beyond it", () => {
    expect(isEntry(order("SELL", "SELL", "0.004"), 0.01)).toBe(false);
    expect(isEntry(order("SELL", "SELL", "0.01"), 0.01)).toBe(false);
    // Larger than the long: it would open a short, so the kill switch cancels it and the limits count it.
    expect(isEntry(order("SELL", "SELL", "0.02"), 0.01)).toBe(true);
    expect(isEntry(order("SELL", "SELL", "0.004"), 0)).toBe(true);
    expect(isEntry(order("BUY", "BUY", "0.004"), 0.01)).toBe(true);
    expect(isEntry(order("CLOSE", "SELL", "0.02"), 0.01)).toBe(false);
  });
});
