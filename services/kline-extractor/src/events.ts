import type { Bus } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import {
  BatchExtractionCompleted,
  ExtractionCompleted,
  type ExtractionType,
  type KlineInterval,
  subjects,
} from "@tradewire/schemas";

/** What one symbol's run produced; the source of its `extraction_completed` event. */
export interface SymbolOutcome {
  symbol: string;
  success: boolean;
  recordsFetched: number;
  recordsWritten: number;
  durationMs: number;
  /** Missing candles found (gap-fill), in candles. */
  gapsFound: number;
  /** Missing candles stored by this run (gap-fill), in candles. */
  gapsFilled: number;
  errors: string[];
}

const seconds = (ms: number) => Math.round(ms) / 1000;

export function extractionEvent(
  type: ExtractionType,
  period: KlineInterval,
  o: SymbolOutcome,
  now = new Date(),
): ExtractionCompleted {
  return {
    event_type: "extraction_completed",
    extraction_type: type,
    symbol: o.symbol,
    period,
    timestamp: now.toISOString(),
    success: o.success,
    metrics: {
      records_fetched: o.recordsFetched,
      records_written: o.recordsWritten,
      duration_seconds: seconds(o.durationMs),
      gaps_found: o.gapsFound,
      gaps_filled: o.gapsFilled,
    },
    errors: o.errors,
  };
}

export function batchEvent(
  type: ExtractionType,
  period: KlineInterval,
  outcomes: readonly SymbolOutcome[],
  durationMs: number,
  now = new Date(),
): BatchExtractionCompleted {
  const sum = (f: (o: SymbolOutcome) => number) => outcomes.reduce((n, o) => n + f(o), 0);
  return {
    event_type: "batch_extraction_completed",
    extraction_type: type,
    symbols: outcomes.map((o) => o.symbol),
    period,
    timestamp: now.toISOString(),
    success: outcomes.every((o) => o.success),
    metrics: {
      total_records_fetched: sum((o) => o.recordsFetched),
      total_records_written: sum((o) => o.recordsWritten),
      duration_seconds: seconds(durationMs),
      total_gaps_found: sum((o) => o.gapsFound),
      total_gaps_filled: sum((o) => o.gapsFilled),
      symbols_processed: outcomes.length,
    },
    errors: outcomes.flatMap((o) => o.errors.map((e) => `${o.symbol}: ${e}`)),
  };
}

/** Publishes completion events; never throws and never blocks an extraction (core NATS). */
export interface EventSink {
  symbolCompleted(type: ExtractionType, period: KlineInterval, outcome: SymbolOutcome): void;
  batchCompleted(
    type: ExtractionType,
    period: KlineInterval,
    outcomes: readonly SymbolOutcome[],
    durationMs: number,
  ): void;
  readonly failures: number;
  readonly published: number;
}

export class NatsEventSink implements EventSink {
  failures = 0;
  published = 0;
  /** Called on every failed publish (e.g. a metrics counter). */
  onFailure: (() => void) | undefined;

  constructor(
    private bus: Bus | undefined,
    private readonly prefix: string,
    private readonly log: Logger,
    /** NATS_ENABLED: when false nothing is published and nothing counts as a failure. */
    private readonly enabled = true,
  ) {}

  /** The connection events go out on from now (one made after the start). */
  attach(bus: Bus): void {
    this.bus = bus;
  }

  /** Whether events can go out: NATS connected (always true when they are turned off). */
  isConnected(): boolean {
    return !this.enabled || (this.bus?.isConnected() ?? false);
  }

  symbolCompleted(type: ExtractionType, period: KlineInterval, outcome: SymbolOutcome): void {
    this.send(
      subjects.extraction(type, outcome.symbol, period, this.prefix),
      ExtractionCompleted,
      extractionEvent(type, period, outcome),
      outcome.symbol,
    );
  }

  batchCompleted(
    type: ExtractionType,
    period: KlineInterval,
    outcomes: readonly SymbolOutcome[],
    durationMs: number,
  ): void {
    this.send(
      subjects.extractionBatch(type, period, this.prefix),
      BatchExtractionCompleted,
      batchEvent(type, period, outcomes, durationMs),
      "batch",
    );
  }

  private send(
    subject: string,
    schema: typeof ExtractionCompleted | typeof BatchExtractionCompleted,
    event: ExtractionCompleted | BatchExtractionCompleted,
    symbol: string,
  ): void {
    if (!this.enabled) return;
    try {
      if (this.bus === undefined || !this.bus.publish(subject, schema, event))
        throw new Error("NATS not connected");
      this.published += 1;
    } catch (error) {
      this.failures += 1;
      this.onFailure?.();
      this.log.warn("completion event not published", { symbol, subject, err: error });
    }
  }
}
