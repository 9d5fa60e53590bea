import type { Logger } from "@tradewire/logger";
import {
  type BackoffOptions,
  backoffDelay,
  sleep,
  type TaskContext,
  type TaskSpec,
} from "@tradewire/supervisor";
import { Counter, Gauge, type Registry } from "prom-client";
import { type ConnectionHandlers, StreamConnection } from "./stream-connection.js";
import { combinedStreamUrl, type StreamShard } from "./stream-plan.js";

export interface LiveFeedOptions {
  wsBase: string;
  /** One entry per connection: the stream names it carries. */
  shards: StreamShard[];
  connectTimeoutMs: number;
  /** A stream silent this long gets its connection recycled. */
  staleMs: number;
  /** Connections are rolled over before Binance's 24 h cut. */
  maxAgeMs: number;
  backoff: BackoffOptions;
  handlers: Omit<ConnectionHandlers, "onServerShutdown" | "onError">;
  registry: Registry;
  log: Logger;
}

/** Per shard, across its connections: the streams that ever delivered, and those said never to. */
interface Heard {
  delivered: Set<string>;
  saidNever: Set<string>;
}

type EndReason = "closed" | "stale" | "max_age" | "server_shutdown" | "aborted";

const WATCH_INTERVAL_MS = 250;

interface Live {
  conn: StreamConnection;
  /** Cleared when a replacement takes over, so an overlapping old socket publishes nothing twice. */
  state: { active: boolean; shutdownNotice: boolean; closed: boolean };
}

/**
 * Owns the exchange connections: one supervised task per shard that connects with a timeout,
 * reconnects with backoff and jitter, and recycles a connection that went silent, reached its
 * maximum age or was announced for shutdown, opening the new one before closing the old.
 */
export class LiveFeed {
  private readonly reconnects: Counter<"shard" | "reason">;
  private readonly connected: Gauge<"shard">;
  private readonly current = new Map<number, Live>();

  constructor(private readonly opts: LiveFeedOptions) {
    this.reconnects = new Counter({
      name: "tradewire_md_reconnects_total",
      help: "Exchange connections replaced, by reason",
      labelNames: ["shard", "reason"],
      registers: [opts.registry],
    });
    this.connected = new Gauge({
      name: "tradewire_md_connected",
      help: "1 while the shard's exchange connection is open",
      labelNames: ["shard"],
      registers: [opts.registry],
    });
  }

  tasks(): TaskSpec[] {
    return this.opts.shards.map((shard, index) => ({
      name: `ws-shard-${index}`,
      // The longest wait without progress is a backoff sleep and the connect after it: an
      // exchange out of reach for long is retried, not taken for a hung task and restarted.
      stallTimeoutMs: this.opts.connectTimeoutMs + this.opts.backoff.maxMs + 10_000,
      run: (ctx: TaskContext) => this.runShard(index, shard, ctx),
    }));
  }

  /** Every shard connected, and each has delivered an event within the stale window. */
  isReceiving(now = Date.now()): boolean {
    if (this.current.size < this.opts.shards.length) return false;
    for (const { conn } of this.current.values()) {
      const latest = conn.latestEvent();
      if (!conn.isOpen() || latest === undefined || now - latest > this.opts.staleMs) return false;
    }
    return true;
  }

  private async runShard(index: number, shard: StreamShard, ctx: TaskContext): Promise<void> {
    const log = this.opts.log.child({ shard: index, streams: shard.streams.length });
    const heard: Heard = { delivered: new Set(), saidNever: new Set() };
    let live: Live | undefined;
    let attempt = 0;
    try {
      while (!ctx.signal.aborted) {
        if (live === undefined) {
          live = await this.connect(index, shard, ctx, ++attempt, log);
          if (live !== undefined) attempt = 0;
          continue;
        }
        const reason = await this.watch(live, ctx, heard, log);
        if (reason === "aborted") break;
        const silentForMs = Date.now() - (live.conn.latestEvent() ?? live.conn.openedAt);
        if (reason === "closed") {
          this.reconnects.inc({ shard: index, reason });
          log.warn("exchange connection dropped; reconnecting", { silentForMs });
          this.retire(index, live);
          live = undefined;
          continue;
        }
        const stale = reason === "stale" ? live.conn.staleStreams(Date.now(), this.opts.staleMs) : [];
        if (reason === "stale")
          log.warn("stream silent; recycling its connection", { staleStreams: stale, silentForMs });
        // A replacement that fails backs off like any connect (the old one still serves meanwhile):
        // retried at once, a rollover whose new connection fails would hammer the exchange.
        const next = await this.connect(index, shard, ctx, ++attempt, log);
        if (next !== undefined) attempt = 0;
        if (next !== undefined || reason === "stale") {
          this.reconnects.inc({ shard: index, reason });
          this.retire(index, live);
          await live.conn.close();
          live = next;
          if (next !== undefined)
            log.info("exchange connection recycled", { reason, openedBeforeClose: true });
        }
      }
    } finally {
      if (live !== undefined) {
        this.retire(index, live);
        await live.conn.close();
      }
      log.info("exchange connection closed", { reason: "shutdown" });
    }
  }

  private async connect(
    index: number,
    { route, streams }: StreamShard,
    ctx: TaskContext,
    attempt: number,
    log: Logger,
  ): Promise<Live | undefined> {
    const state = { active: true, shutdownNotice: false, closed: false };
    const { onEvent, onMalformed } = this.opts.handlers;
    const handlers: ConnectionHandlers = {
      onEvent: (stream, data, receiveTime, bytes) => {
        if (state.active) onEvent(stream, data, receiveTime, bytes);
      },
      onMalformed: (reason, raw) => {
        if (state.active) onMalformed(reason, raw);
      },
      onServerShutdown: () => {
        state.shutdownNotice = true;
      },
      onError: (error) => log.warn("exchange connection error; it will be replaced", { err: error }),
    };
    const url = combinedStreamUrl(this.opts.wsBase, streams, route);
    const where = `${this.opts.wsBase.replace(/\/+$/, "")}${route}`;
    try {
      const conn = await StreamConnection.open(url, streams, this.opts.connectTimeoutMs, handlers);
      conn.closed.then(
        () => {
          state.closed = true;
        },
        () => {},
      );
      const live = { conn, state };
      const previous = this.current.get(index);
      if (previous !== undefined) previous.state.active = false;
      this.current.set(index, live);
      this.connected.set({ shard: index }, 1);
      log.info("exchange connection open", { url: where, attempt });
      return live;
    } catch (error) {
      const delayMs = backoffDelay(attempt, this.opts.backoff);
      log.warn("exchange connect failed; retrying", { url: where, attempt, delayMs, err: error });
      ctx.progress();
      await sleep(delayMs, ctx.signal);
      return undefined;
    }
  }

  /** Resolves with the first reason this connection has to end. */
  private async watch(live: Live, ctx: TaskContext, heard: Heard, log: Logger): Promise<EndReason> {
    const { conn, state } = live;
    while (!ctx.signal.aborted) {
      ctx.progress();
      const now = Date.now();
      if (state.closed) return "closed";
      if (state.shutdownNotice) return "server_shutdown";
      if (now - conn.openedAt > this.opts.maxAgeMs) return "max_age";
      if (now - conn.openedAt > this.opts.staleMs && this.mustRecycle(conn, now, heard, log)) return "stale";
      await sleep(WATCH_INTERVAL_MS, ctx.signal);
    }
    return "aborted";
  }

  /**
   * Whether the connection's silence calls for a new one (F39): a stream that delivered before has
   * gone silent, or nothing on it delivers at all. A stream that never delivered while others on
   * the connection do is no dead socket but a name the exchange does not serve (a symbol not
   * listed on this market): said at error once, and not a reason to recycle the connection, which
   * cut every other stream on it every STALE_STREAM_S for ever.
   */
  private mustRecycle(conn: StreamConnection, now: number, heard: Heard, log: Logger): boolean {
    for (const stream of conn.deliveredStreams()) heard.delivered.add(stream);
    const stale = conn.staleStreams(now, this.opts.staleMs);
    if (stale.length === 0) return false;
    if (stale.length === conn.streams.length || stale.some((s) => heard.delivered.has(s))) return true;
    const unsaid = stale.filter((s) => !heard.saidNever.has(s));
    if (unsaid.length > 0) {
      for (const s of unsaid) heard.saidNever.add(s);
      log.error(
        "streams that never delivered while the others on their connection do: is the symbol listed on this market?",
        {
          streams: unsaid,
          silentForMs: now - conn.openedAt,
        },
      );
    }
    return false;
  }

  private retire(index: number, live: Live): void {
    live.state.active = false;
    if (this.current.get(index) === live) {
      this.current.delete(index);
      this.connected.set({ shard: index }, 0);
    }
  }
}
