import { manualClock } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { OrderLooks } from "./order-looks.js";

const clock = () => manualClock();
/** What one round asked for: "all", or the named ids. */
const roundOf = async (looks: OrderLooks) => {
  let asked: "all" | string[] = "all";
  await looks.round(async (only) => {
    asked = only === undefined ? "all" : [...only];
  });
  return asked;
};

describe("OrderLooks", () => {
  it("looks at everything first, then only at the orders named since", async () => {
    const c = clock();
    const looks = new OrderLooks(3_000, c.now);
    expect(await roundOf(looks)).toBe("all");
    looks.order("tw-a");
    looks.order("tw-b");
    expect(await looks.wait(60_000)).toBe(true);
    expect(await roundOf(looks)).toEqual(["tw-a", "tw-b"]);
    expect(await roundOf(looks)).toEqual([]);
  });

  it("a catch-up asks for everything, and so does every period however busy the stream is", async () => {
    const c = clock();
    const looks = new OrderLooks(3_000, c.now);
    await roundOf(looks);
    looks.order("tw-a");
    looks.all();
    expect(await roundOf(looks)).toBe("all");
    c.advance(2_999);
    looks.order("tw-b");
    expect(await roundOf(looks)).toEqual(["tw-b"]);
    c.advance(1);
    looks.order("tw-c");
    expect(await roundOf(looks)).toBe("all");
  });

  it("a round that fails makes the next one full", async () => {
    const c = clock();
    const looks = new OrderLooks(3_000, c.now);
    await roundOf(looks);
    looks.order("tw-a");
    await expect(
      looks.round(async () => {
        throw new Error("exchange down");
      }),
    ).rejects.toThrow("exchange down");
    expect(await roundOf(looks)).toBe("all");
  });
});
