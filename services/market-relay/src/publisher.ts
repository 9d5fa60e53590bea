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
  private readonly suppressed: Counter;
  private readonly lag: Histogram;
  private readonly lagWindow = new LagWindow();
  private windowStart = Date.now();
  private suppressedInWindow = 0;
  /** Not published since the last summary: NATS was disconnected. */
  private droppedInWindow = 0;
  /** Per stream: subject and metric children, resolved once (label lookups cost on the hot path). */
  private readonly routes = new Map<string, Route>();

  constructor(
    private readonly bus: Bus,
    registry: Registry,
  ) {
    // Counted in plain fields on the hot path and handed to prom-client when scraped.
    routeCounter(
      registry,
      this.routes,
      "tradewire_md_messages_total",
      "Market messages published",
      "unscrapedMessages",
    );
    routeCounter(
      registry,
      this.routes,
      "tradewire_md_dropped_total",
      "Market messages not published because NATS was disconnected (nats.js would have discarded them silently)",
      "unscrapedDropped",
    );
    routeCounter(
      registry,
      this.routes,
      "tradewire_md_received_bytes_total",
      "Bytes received from the exchange",
      "unscrapedBytes",
    );
    this.suppressed = new Counter({
      name: "tradewire_md_suppressed_total",
      help: "Market messages not published because this replica is on standby",
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
    const route = this.route(message);
    route.unscrapedBytes += receivedBytes;
    if (!this.active) {
      this.suppressed.inc();
      this.suppressedInWindow += 1;
      return;
    }
    // Built by the simulator or validated at the boundary already: no second validation on the hot path.
    if (!this.bus.publish(route.subject, MarketData, message, { trusted: true })) {
      // NATS is away: market data is worth nothing late, so it is dropped, counted.
      this.droppedInWindow += 1;
      route.unscrapedDropped += 1;
      return;
    }
    route.published += 1;
    route.unscrapedMessages += 1;
    // Spot partial depth and bookTicker carry no exchange time: their lag would be a made-up 0.
    if (message.kind === "trade" || message.kind === "kline") {
      const lagMs = message.receiveTime - message.eventTime;
      this.lag.observe(lagMs / 1000);
      this.lagWindow.add(lagMs);
    }
  }

  private route(message: MarketData): Route {
    const interval = message.kind === "kline" ? message.interval : undefined;
    const key = `${message.symbol}|${message.kind}|${interval ?? ""}`;
    let route = this.routes.get(key);
    if (route === undefined) {
      const stream = interval === undefined ? message.kind : `kline_${interval}`;
      route = {
        stream,
        subject: subjects.marketData(message.symbol, message.kind, interval),
        published: 0,
        unscrapedMessages: 0,
        unscrapedDropped: 0,
        unscrapedBytes: 0,
      };
      this.routes.set(key, route);
    }
    return route;
  }

  /** Logs messages per stream, publish rate and lag since the last summary. */
  summarize(log: Logger, extra: Record<string, unknown>): void {
    const seconds = (Date.now() - this.windowStart) / 1000;
    const counts: Record<string, number> = {};
    for (const route of this.routes.values()) {
      counts[route.stream] = (counts[route.stream] ?? 0) + route.published;
      route.published = 0;
    }
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    log.info("market data summary", {
      ...extra,
      leader: this.active,
      messagesPerStream: counts,
      publishRate: Math.round(total / Math.max(seconds, 0.001)),
      lagMs: this.lagWindow.summary(),
      suppressed: this.suppressedInWindow,
      droppedNatsDisconnected: this.droppedInWindow,
      windowSeconds: Math.round(seconds),
    });
    this.lagWindow.reset();
    this.suppressedInWindow = 0;
    this.droppedInWindow = 0;
    this.windowStart = Date.now();
  }
}

interface Route {
  stream: string;
  subject: string;
  /** Published since the last summary. */
  published: number;
  unscrapedMessages: number;
  unscrapedDropped: number;
  unscrapedBytes: number;
}

/** A per-stream counter that takes, at each scrape, what a route field counted since the last. */
function routeCounter(
  registry: Registry,
  routes: ReadonlyMap<string, Route>,
  name: string,
  help: string,
  field: "unscrapedMessages" | "unscrapedDropped" | "unscrapedBytes",
): void {
  new Counter({
    name,
    help,
    labelNames: ["stream"],
    registers: [registry],
    collect() {
      for (const route of routes.values()) {
        this.inc({ stream: route.stream }, route[field]);
        route[field] = 0;
      }
    },
  });
}
