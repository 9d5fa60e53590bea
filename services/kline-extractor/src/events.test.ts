import { captureLogger } from "@tradewire/logger";
import { BatchExtractionCompleted, ExtractionCompleted } from "@tradewire/schemas";
import { describe, expect, it } from "vitest";
import { batchEvent, extractionEvent, NatsEventSink, type SymbolOutcome } from "./events.js";

const outcome = (symbol: string, over: Partial<SymbolOutcome> = {}): SymbolOutcome => ({
  symbol,
  success: true,
  recordsFetched: 100,
  recordsWritten: 90,
  durationMs: 1234.5,
  gapsFound: 80,
  gapsFilled: 0,
  errors: [],
  ...over,
});
const now = new Date("2023-05-01T00:00:00Z");

describe("completion events", () => {
  it("builds extraction_completed exactly in the seed format", () => {
    const event = extractionEvent("klines_gap_filling", "1m", outcome("BTCUSDT"), now);
    expect(event).toEqual({
      event_type: "extraction_completed",
      extraction_type: "klines_gap_filling",
      symbol: "BTCUSDT",
      period: "1m",
      timestamp: "2023-05-01T00:00:00.000Z",
      success: true,
      metrics: {
        records_fetched: 100,
        records_written: 90,
        duration_seconds: 1.235,
        gaps_found: 80,
        gaps_filled: 0,
      },
      errors: [],
    });
    expect(ExtractionCompleted.safeParse(event).success).toBe(true);
  });

  it("sums a batch and fails it when one symbol failed, naming the symbol in errors", () => {
    const event = batchEvent(
      "klines",
      "5m",
      [
        outcome("BTCUSDT"),
        outcome("NOPEUSDT", {
          success: false,
          recordsFetched: 0,
          recordsWritten: 0,
          errors: ["-1121: Invalid symbol."],
        }),
      ],
      2000,
      now,
    );
    expect(BatchExtractionCompleted.safeParse(event).success).toBe(true);
    expect(event).toMatchObject({
      event_type: "batch_extraction_completed",
      symbols: ["BTCUSDT", "NOPEUSDT"],
      success: false,
      metrics: {
        total_records_fetched: 100,
        total_records_written: 90,
        symbols_processed: 2,
        duration_seconds: 2,
      },
      errors: ["NOPEUSDT: -1121: Invalid symbol."],
    });
  });

  it("counts and warns (with the symbol) when NATS is unavailable, never throwing", () => {
    const cap = captureLogger("kx");
    const sink = new NatsEventSink(undefined, "binance.extraction", cap.logger);
    sink.symbolCompleted("klines", "1m", outcome("BTCUSDT"));
    expect(sink.failures).toBe(1);
    expect(cap.find("completion event not published")[0]).toMatchObject({ level: "warn", symbol: "BTCUSDT" });
  });

  it("publishes nothing and counts nothing when NATS_ENABLED is false", () => {
    const cap = captureLogger("kx");
    const sink = new NatsEventSink(undefined, "binance.extraction", cap.logger, false);
    sink.symbolCompleted("klines", "1m", outcome("BTCUSDT"));
    expect(sink.failures).toBe(0);
    expect(cap.lines).toHaveLength(0);
  });
});
