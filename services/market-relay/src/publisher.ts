import type { Bus } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import { MarketData, subjects } from "@tradewire/schemas";
import { Counter, Histogram, type Registry } from "prom-client";
import { LagWindow } from "./lag-window.js";

/**
 * Publishes normalized market data on `md.<venue>.<symbol>.<stream>`, counts it per stream and
 * measures lag (receive time − exchange event time). While this replica is not the feed's leader
 * it publishes nothing and counts what it held back.
 */
export class MarketPublisher {
  /** False on a standby replica: messages are counted as suppressed, never published. */
  active = true;
  private readonly counts = new Map<string, number>();
  private readonly messages: Counter<"stream">;
  private readonly suppressed: Counter;
  private readonly bytes: Counter<"stream">;
  private readonly lag: Histogram;
  private readonly lagWindow = new LagWindow();
  private windowStart = Date.now();
  private suppressedInWindow = 0;

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
    this.suppressed = new Counter({
      name: "tradewire_md_suppressed_total",
      help: "Market messages not published because this replica is on standby",
      registers: [registry],
    });
    this.bytes = new Counter({
      name: "tradewire_md_received_bytes_total",
      help: "Bytes received from the exchange",
      labelNames: ["stream"],
      registers: [registry],
    });
    this.lag = new Histogram({
      name: "tradewire_md_lag_seconds",
      help: "Receive time minus exchange event time",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }

  publish(message: MarketData, receivedBytes = 0): void {
    const stream = message.kind === "kline" ? `kline_${message.interval}` : message.kind;
    if (receivedBytes > 0) this.bytes.inc({ stream }, receivedBytes);
    if (!this.active) {
      this.suppressed.inc();
      this.suppressedInWindow += 1;
      return;
    }
    const subject = subjects.marketData(
      message.symbol,
      message.kind,
      message.kind === "kline" ? message.interval : undefined,
    );
    // Built by the simulator or validated at the boundary already: no second validation on the hot path.
    this.bus.publish(subject, MarketData, message, { trusted: true });
    this.counts.set(stream, (this.counts.get(stream) ?? 0) + 1);
    this.messages.inc({ stream });
    // Spot partial depth and bookTicker carry no exchange time: their lag would be a made-up 0.
    if (message.kind === "trade" || message.kind === "kline") {
      const lagMs = message.receiveTime - message.eventTime;
      this.lag.observe(lagMs / 1000);
      this.lagWindow.add(lagMs);
    }
  }

  /** Logs messages per stream, publish rate and lag since the last summary. */
  summarize(log: Logger, extra: Record<string, unknown>): void {
    const seconds = (Date.now() - this.windowStart) / 1000;
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0);
    log.info("market data summary", {
      ...extra,
      leader: this.active,
      messagesPerStream: Object.fromEntries(this.counts),
      publishRate: Math.round(total / Math.max(seconds, 0.001)),
      lagMs: this.lagWindow.summary(),
      suppressed: this.suppressedInWindow,
      windowSeconds: Math.round(seconds),
    });
    this.counts.clear();
    this.lagWindow.reset();
    this.suppressedInWindow = 0;
    this.windowStart = Date.now();
  }
}
