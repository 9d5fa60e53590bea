import { manualClock } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { StreamWatch } from "./stream-watch.js";

const clock = () => manualClock(1_000);

describe("StreamWatch", () => {
  it("an order the stream reports in time is not overdue; one it does not report is, once", () => {
    const c = clock();
    const watch = new StreamWatch(5_000, c.now);
    watch.expect("tw-a");
    watch.expect("tw-b");
    c.advance(100);
    watch.seen("tw-a");
    c.advance(4_899);
    expect(watch.overdue()).toEqual([]);
    c.advance(1);
    expect(watch.overdue()).toEqual(["tw-b"]);
    expect(watch.overdue()).toEqual([]);
  });

  it("a report that beats the placement's answer counts, and is forgotten after the window", () => {
    const c = clock();
    const watch = new StreamWatch(5_000, c.now);
    watch.seen("tw-early");
    watch.expect("tw-early");
    c.advance(10_000);
    expect(watch.overdue()).toEqual([]);
    // A stale early report does not excuse a later order of the same id.
    watch.seen("tw-old");
    c.advance(5_001);
    watch.overdue();
    watch.expect("tw-old");
    c.advance(5_000);
    expect(watch.overdue()).toEqual(["tw-old"]);
  });

  it("a new subscription owes nothing from before", () => {
    const c = clock();
    const watch = new StreamWatch(5_000, c.now);
    watch.expect("tw-x");
    watch.reset();
    c.advance(6_000);
    expect(watch.overdue()).toEqual([]);
  });
});
