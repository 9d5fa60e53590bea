import { z } from "zod";
import { KlineInterval, SymbolName } from "./primitives.js";

/** Events kline-extractor publishes, in exactly the format the operators' consumers expect. */
export const ExtractionType = z.enum(["klines", "klines_gap_filling"]);
export type ExtractionType = z.infer<typeof ExtractionType>;

const count = z.number().int().nonnegative();
const IsoTime = z.iso.datetime({ offset: true });

export const ExtractionCompleted = z.object({
  event_type: z.literal("extraction_completed"),
  extraction_type: ExtractionType,
  symbol: SymbolName,
  period: KlineInterval,
  timestamp: IsoTime,
  success: z.boolean(),
  metrics: z.object({
    records_fetched: count,
    records_written: count,
    duration_seconds: z.number().nonnegative(),
    gaps_found: count,
    gaps_filled: count,
  }),
  errors: z.array(z.string()),
});
export type ExtractionCompleted = z.infer<typeof ExtractionCompleted>;

export const BatchExtractionCompleted = z.object({
  event_type: z.literal("batch_extraction_completed"),
  extraction_type: ExtractionType,
  symbols: z.array(SymbolName),
  period: KlineInterval,
  timestamp: IsoTime,
  success: z.boolean(),
  metrics: z.object({
    total_records_fetched: count,
    total_records_written: count,
    duration_seconds: z.number().nonnegative(),
    total_gaps_found: count,
    total_gaps_filled: count,
    symbols_processed: count,
  }),
  errors: z.array(z.string()),
});
export type BatchExtractionCompleted = z.infer<typeof BatchExtractionCompleted>;

/** Either event, as a consumer of every extraction subject receives them. */
export const ExtractionEvent = z.discriminatedUnion("event_type", [
  ExtractionCompleted,
  BatchExtractionCompleted,
]);
export type ExtractionEvent = z.infer<typeof ExtractionEvent>;
