import { subjects } from "@tradewire/schemas";
import { describe, expect, it } from "vitest";
import { STREAMS, streamStoring } from "../src/streams.js";

describe("streamStoring", () => {
  it("finds the stream meant to store a subject, by its wildcards", () => {
    expect(streamStoring(subjects.signal())).toBe(STREAMS.signals);
    expect(streamStoring(subjects.signal("momentum"))).toBe(STREAMS.signals);
    expect(streamStoring(subjects.tradeIntent())).toBe(STREAMS.intents);
    expect(streamStoring(subjects.orderEvent("filled"))).toBe(STREAMS.orders);
    expect(streamStoring(subjects.killSwitch())).toBe(STREAMS.control);
  });

  it("finds none for a subject no stream is meant to store, nor for a bare `>` prefix", () => {
    expect(streamStoring("nostream.here")).toBeUndefined();
    expect(streamStoring("signals")).toBeUndefined();
    expect(streamStoring("signals.trading.momentum.extra.tokens")).toBe(STREAMS.signals);
    expect(streamStoring(subjects.orderEventsAll().replace(".>", ""))).toBeUndefined();
  });
});
