import { Counter, Gauge, type Registry } from "prom-client";

/** The extractor's Prometheus metrics, registered on the supervisor's registry (or a private one). */
export class ExtractorMetrics {
  readonly fetched: Counter<"symbol" | "interval">;
  readonly written: Counter<"symbol" | "interval">;
  readonly runs: Counter<"type" | "result">;
  readonly unfillable: Counter<"symbol" | "interval">;
  readonly eventFailures: Counter;
  readonly lastStored: Gauge<"symbol" | "interval">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.fetched = new Counter({
      name: "tradewire_klines_fetched_total",
      help: "Candles fetched from the exchange",
      labelNames: ["symbol", "interval"],
      registers,
    });
    this.written = new Counter({
      name: "tradewire_klines_written_total",
      help: "Candles newly inserted into PostgreSQL",
      labelNames: ["symbol", "interval"],
      registers,
    });
    this.runs = new Counter({
      name: "tradewire_kline_extractions_total",
      help: "Per-symbol extraction runs by type and result",
      labelNames: ["type", "result"],
      registers,
    });
    this.unfillable = new Counter({
      name: "tradewire_klines_unfillable_total",
      help: "Missing candles the exchange could not provide (halts)",
      labelNames: ["symbol", "interval"],
      registers,
    });
    this.eventFailures = new Counter({
      name: "tradewire_kline_event_publish_failures_total",
      help: "Completion events that could not be published",
      registers,
    });
    this.lastStored = new Gauge({
      name: "tradewire_klines_last_open_time_ms",
      help: "Open time of the newest stored candle",
      labelNames: ["symbol", "interval"],
      registers,
    });
  }
}
