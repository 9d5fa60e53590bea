import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type IntentCounter =
  | "processed"
  | "forwarded"
  | "stale"
  | "deadLettered"
  | "reclaimed"
  | "skippedDrain"
  | "publishFailed";

/** The service's metrics, registered on the supervisor's registry. */
export function createIntentMetrics(registry: Registry) {
  const outcomes = new Counter({
    name: "tradewire_intents_total",
    help: "Trade intents by outcome",
    labelNames: ["outcome"],
    registers: [registry],
  });
  return {
    outcomes,
    inc: (outcome: IntentCounter, n = 1) => outcomes.inc({ outcome }, n),
    pending: new Gauge({
      name: "tradewire_intents_group_pending",
      help: "Entries pending in the group",
      registers: [registry],
    }),
    lag: new Gauge({
      name: "tradewire_intents_group_lag",
      help: "Entries not yet delivered to the group",
      registers: [registry],
    }),
    dlqLength: new Gauge({
      name: "tradewire_intents_dlq_length",
      help: "Entries in the dead-letter stream",
      registers: [registry],
    }),
    latency: new Histogram({
      name: "tradewire_intents_entry_to_ack_seconds",
      help: "From the entry id time to its XACK",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300],
      registers: [registry],
    }),
  };
}
export type IntentMetrics = ReturnType<typeof createIntentMetrics>;
