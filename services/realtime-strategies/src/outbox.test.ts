import type { Bus } from "@tradewire/bus";
import { captureLogger } from "@tradewire/logger";
import { describe, expect, it } from "vitest";
import { signalInput as signal } from "../test/signal-input.js";
import { SignalOutbox } from "./outbox.js";

describe("signal outbox", () => {
  it("F17 a full outbox rejects loudly and counts it; nothing is dropped silently", () => {
    const cap = captureLogger("realtime-strategies");
    const outcomes: string[] = [];
    // submit() never touches the bus: publishing is the run loop's job.
    const outbox = new SignalOutbox({} as Bus, cap.logger, 2, (_s, outcome) => outcomes.push(outcome));
    for (const id of ["a", "b", "c"]) outbox.submit(signal(id));
    expect(outbox.size).toBe(2);
    expect(outbox.counts.rejected).toBe(1);
    expect(outcomes).toEqual(["rejected"]);
    expect(cap.find("REJECTED")[0]).toMatchObject({
      level: "warn",
      signalId: "c",
      reason: "outbox full (2)",
    });
  });

  it("rejects an invalid signal with the field named, before queueing it", () => {
    const cap = captureLogger("realtime-strategies");
    const outbox = new SignalOutbox({} as Bus, cap.logger, 10, () => {});
    outbox.submit({ ...signal("bad"), confidence: 7 });
    expect(outbox.size).toBe(0);
    expect(cap.find("REJECTED")[0]?.reason).toMatch(/invalid: .*confidence/);
  });
});
