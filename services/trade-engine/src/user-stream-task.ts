import { BinanceError, runUserStream, type UserStreamSource } from "@tradewire/binance";
import type { Logger } from "@tradewire/logger";
import type { Doorbell, Supervisor } from "@tradewire/supervisor";
import { sleep } from "@tradewire/supervisor";
import type { TradeEngine } from "./engine.js";
import type { EngineMetrics } from "./metrics.js";
import type { OrderLooks } from "./order-looks.js";
import type { StreamWatch } from "./stream-watch.js";

export interface UserStreamDeps {
  supervisor: Supervisor;
  source: UserStreamSource;
  engine: TradeEngine;
  metrics: EngineMetrics;
  log: Logger;
  pingIntervalMs: number;
  /** The orders the stream owes a report of. */
  watch: StreamWatch;
  /** The exchange polls an order update wakes: the orders it names, or the protections. */
  polls: { orders: OrderLooks; protections: Doorbell };
}

/**
 * Follows the account's user data stream as a doorbell: an update of a working order or of a
 * protective leg wakes that poll at once, which then reads the order from the exchange and records
 * it as before (fees from its trades, one statement, idempotent). The stream never writes state
 * itself, so a missed or repeated event costs nothing: on every (re)subscription both polls run to
 * catch up, and while the stream is down they keep their own period. A stream that stays
 * connected but does not report an order the exchange took is called silent and resubscribed.
 */
export function followUserStream(deps: UserStreamDeps): void {
  const { supervisor, source, engine, metrics, log, polls, watch } = deps;
  const ringAll = () => {
    polls.orders.all();
    polls.protections.ring();
  };
  /** Ends the current subscription; undefined while there is none. */
  let drop: ((reason: string) => void) | undefined;
  supervisor.addTask({
    name: "user-stream",
    // Polling covers for it: a lost stream is loud, not unready.
    required: false,
    // Pongs every ping while connected, a loss report at least every 30 s (the backoff cap) while not.
    stallTimeoutMs: 3 * deps.pingIntervalMs + 60_000,
    run: (ctx) =>
      runUserStream({
        source,
        logger: log,
        signal: ctx.signal,
        pingIntervalMs: deps.pingIntervalMs,
        handlers: {
          onSubscribed() {
            watch.reset();
            metrics.userStreamConnected.set(1);
            log.info("user data stream subscribed: working orders are looked up as they change", {
              market: source.market,
            });
            ringAll();
            ctx.progress();
          },
          onConnection(end) {
            drop = end;
          },
          onUpdate(update) {
            watch.seen(update.clientOrderId);
            const poll = engine.pollFor(update);
            metrics.userStreamEvents.inc({ woke: poll ?? "none" });
            ctx.count("orderUpdates");
            if (poll === undefined) return;
            log.info("order update from the user data stream; looking it up now", { ...update, poll });
            if (poll === "orders") polls.orders.order(update.clientOrderId);
            else polls.protections.ring();
          },
          onLost(reason, error) {
            drop = undefined;
            metrics.userStreamConnected.set(0);
            // A refusal that retrying cannot cure (key, signature, permissions) is an error to fix.
            const level = error instanceof BinanceError && !error.retryable ? "error" : "warn";
            log[level]("user data stream lost; reconnecting, and polling on its own period meanwhile", {
              market: source.market,
              reason,
              ...(error === undefined ? {} : { err: error }),
            });
            ctx.progress();
          },
          onAlive: () => ctx.progress(),
        },
      }),
  });
  const every = Math.min(1_000, Math.ceil(watch.withinMs / 2));
  supervisor.addTask({
    name: "user-stream-watch",
    required: false,
    stallTimeoutMs: every + 60_000,
    async run(ctx) {
      while (!ctx.signal.aborted) {
        const late = watch.overdue();
        if (late.length > 0 && drop !== undefined) {
          metrics.userStreamSilent.inc();
          log.warn(
            "user data stream connected but silent: orders the exchange took were not reported; resubscribing",
            {
              market: source.market,
              withinMs: watch.withinMs,
              clientOrderIds: late.slice(0, 20),
              orders: late.length,
            },
          );
          drop(`silent: ${late.length} order(s) not reported within ${watch.withinMs} ms`);
          ringAll();
        }
        ctx.progress();
        await sleep(every, ctx.signal);
      }
    },
  });
}
