import { describe, expect, it } from "vitest";
import { classifyEntry, entryIdMs } from "./classify.js";
import { decodeEntry, fieldsToRecord } from "./decode.js";

const NOW = Date.UTC(2025, 11, 24, 4, 33, 0);
const realPayload = {
  symbol: "NEARUSDT",
  side: "BUY",
  confidence: "0.72",
  entry_price: "1.465",
  stop_loss: "1.4357",
  take_profit: "1.4943",
  position_size_usd: "200.0",
  leverage: "1",
  timestamp: "2025-12-24T04:32:14.062679",
  model: "ensemble",
};
const FIVE_MIN = 5 * 60_000;

describe("decodeEntry", () => {
  it("decodes flat fields, an event-bus envelope and a data wrapper to the same payload", () => {
    const json = JSON.stringify(realPayload);
    const flat = decodeEntry(realPayload);
    const envelope = decodeEntry({
      event_type: "trade.intent",
      payload: json,
      trace_id: "t-1",
      source: "ai-engine",
    });
    const data = decodeEntry({ data: json });
    for (const d of [flat, envelope, data]) expect(d.ok && d.payload.symbol).toBe("NEARUSDT");
    expect(envelope.ok && envelope.meta).toEqual({
      event_type: "trade.intent",
      trace_id: "t-1",
      source: "ai-engine",
    });
    expect(data.ok && data.form).toBe("data");
  });

  it("F13 treats an empty payload as invalid, not as defaults", () => {
    expect(decodeEntry({})).toMatchObject({ ok: false, reason: "flat payload is empty" });
    expect(decodeEntry({ payload: "{}" })).toMatchObject({ ok: false, reason: "envelope payload is empty" });
    expect(decodeEntry({ data: "[1]" })).toMatchObject({
      ok: false,
      reason: expect.stringContaining("expected a JSON object"),
    });
    expect(decodeEntry({ payload: "{oops" })).toMatchObject({
      ok: false,
      reason: expect.stringContaining("not valid JSON"),
    });
  });

  it("pairs ioredis field arrays", () => {
    expect(fieldsToRecord(["a", "1", "b", "2"])).toEqual({ a: "1", b: "2" });
  });
});

describe("classifyEntry", () => {
  it("accepts the real producer payload when fresh, with the intent id as dedup key", () => {
    const outcome = classifyEntry("s", "1766550734062-0", realPayload, NOW, FIVE_MIN);
    expect(outcome.kind).toBe("forward");
    if (outcome.kind === "forward") {
      expect(outcome.intent).toMatchObject({
        action: "BUY",
        intent_id: "s:1766550734062-0",
        position_size_usd: 200,
      });
    }
  });

  it("F20 marks the real payload stale as written (hours old)", () => {
    const outcome = classifyEntry("s", "1766550734062-0", realPayload, NOW + 3 * 3_600_000, FIVE_MIN);
    expect(outcome).toMatchObject({ kind: "stale", timeSource: "timestamp" });
  });

  it("falls back to the entry id time when the intent has no timestamp", () => {
    const { timestamp: _, ...noTime } = realPayload;
    const id = `${NOW - 10 * 60_000}-0`;
    expect(entryIdMs(id)).toBe(NOW - 10 * 60_000);
    expect(classifyEntry("s", id, noTime, NOW, FIVE_MIN)).toMatchObject({
      kind: "stale",
      timeSource: "entry_id",
    });
    // Forwarded, it carries the entry's time, so the engine ages it from when it was written (F14).
    const fresh = `${NOW - 60_000}-0`;
    expect(classifyEntry("s", fresh, noTime, NOW, FIVE_MIN)).toMatchObject({
      kind: "forward",
      intent: { timestamp: NOW - 60_000 },
    });
  });

  it("F14 a timestamp later than Redis stored the entry (a producer writing local time two hours ahead) is aged from when it was stored, and forwarded with that time", () => {
    const storedAt = NOW - 3 * 3_600_000;
    const local = new Date(storedAt + 2 * 3_600_000).toISOString().replace("Z", "");
    // Stored three hours ago, stamped one hour ago: it has waited three hours.
    expect(
      classifyEntry("s", `${storedAt}-0`, { ...realPayload, timestamp: local }, NOW, FIVE_MIN),
    ).toMatchObject({
      kind: "stale",
      ageMs: 3 * 3_600_000,
      timeSource: "entry_id",
      aheadMs: 2 * 3_600_000,
    });
    // Fresh, it goes on with the time it was stored: the engine's age check is not beaten either.
    const fresh = NOW - 1_000;
    const ahead = new Date(fresh + 2 * 3_600_000).toISOString().replace("Z", "");
    expect(
      classifyEntry("s", `${fresh}-0`, { ...realPayload, timestamp: ahead }, NOW, FIVE_MIN),
    ).toMatchObject({
      kind: "forward",
      intent: { timestamp: fresh },
      aheadMs: 2 * 3_600_000,
    });
    // A timestamp before its entry id is the intent's own: kept.
    expect(
      classifyEntry("s", `${fresh}-0`, { ...realPayload, timestamp: String(fresh - 500) }, NOW, FIVE_MIN),
    ).toMatchObject({
      kind: "forward",
      intent: { timestamp: fresh - 500 },
      aheadMs: 0,
    });
  });

  it("F14 rejects an unparseable timestamp instead of treating it as now", () => {
    const outcome = classifyEntry("s", `${NOW}-0`, { ...realPayload, timestamp: "soon" }, NOW, FIVE_MIN);
    expect(outcome).toMatchObject({ kind: "invalid", reason: expect.stringContaining("timestamp") });
  });

  it("F12 rejects leverage out of range and unknown actions, naming field and value", () => {
    const outcome = classifyEntry(
      "s",
      `${NOW}-0`,
      { ...realPayload, leverage: "200", side: "HOLD" },
      NOW,
      FIVE_MIN,
    );
    expect(outcome.kind).toBe("invalid");
    if (outcome.kind === "invalid") {
      expect(outcome.reason).toContain("leverage");
      expect(outcome.reason).toContain('"200"');
      expect(outcome.reason).toContain('"HOLD"');
    }
  });

  it("carries envelope trace metadata onto the forwarded intent", () => {
    const outcome = classifyEntry(
      "s",
      `${NOW}-0`,
      {
        event_type: "trade.intent",
        payload: JSON.stringify({ ...realPayload, timestamp: NOW }),
        trace_id: "tr",
        correlation_id: "co",
      },
      NOW,
      FIVE_MIN,
    );
    expect(outcome.kind === "forward" && outcome.intent).toMatchObject({
      trace_id: "tr",
      correlation_id: "co",
    });
    expect(outcome.kind === "forward" && outcome.intent).not.toHaveProperty("event_type");
  });
});
