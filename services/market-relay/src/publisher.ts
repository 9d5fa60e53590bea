import type { Bus } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { MarketData, subjects } from "@tradewire/schemas";
import { Counter, type Registry } from "prom-client";

/** Publishes normalized market data on `md.<venue>.<symbol>.<stream>` and keeps per-stream counts. */
export class MarketPublisher {
  private readonly counts = new Map<string, number>();
  private readonly messages: Counter<"stream">;
  private windowStart = Date.now();

  constructor(
    private readonly bus: Bus,
    registry: Registry,
  ) {
    this.messages = new Counter({
      name: "tradewire_md_messages_total",
      help: "Market messages published",
      labelNames: ["stream"],
      registers: [registry],
    });
  }

  publish(message: MarketData): void {
    const stream = message.kind === "kline" ? `kline_${message.interval}` : message.kind;
    const subject = subjects.marketData(
      message.symbol,
      message.kind,
      message.kind === "kline" ? message.interval : undefined,
    );
    // Built by the simulator or validated at the boundary already: no second validation on the hot path.
    this.bus.publish(subject, MarketData, message, { trusted: true });
    this.counts.set(stream, (this.counts.get(stream) ?? 0) + 1);
    this.messages.inc({ stream });
  }

  /** Logs messages per stream and the publish rate since the last summary. */
  summarize(log: Logger, extra: Record<string, unknown>): void {
    const seconds = (Date.now() - this.windowStart) / 1000;
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0);
    log.info("market data summary", {
      ...extra,
      messagesPerStream: Object.fromEntries(this.counts),
      publishRate: Math.round(total / Math.max(seconds, 0.001)),
      windowSeconds: Math.round(seconds),
    });
    this.counts.clear();
    this.windowStart = Date.now();
  }
}
