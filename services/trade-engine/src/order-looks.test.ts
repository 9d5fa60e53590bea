import { describe, expect, it } from "vitest";
import { OrderLooks } from "./order-looks.js";

describe("OrderLooks", () => {
  it("looks at everything first, then only at the orders named since", async () => {
    const looks = new OrderLooks();
    expect(looks.take()).toBeUndefined();
    looks.order("tw-a");
    looks.order("tw-b");
    expect(await looks.wait(60_000)).toBe(true);
    expect(looks.take()).toEqual(new Set(["tw-a", "tw-b"]));
    expect(looks.take()).toEqual(new Set());
  });

  it("a wait that runs its time, or a catch-up, asks for everything again", async () => {
    const looks = new OrderLooks();
    looks.take();
    expect(await looks.wait(10)).toBe(false);
    expect(looks.take()).toBeUndefined();
    looks.order("tw-a");
    looks.all();
    expect(looks.take()).toBeUndefined();
    expect(looks.take()).toEqual(new Set());
  });
});
