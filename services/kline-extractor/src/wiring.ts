import { Bus } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import type { KlineExtractorConfig } from "./config.js";
import { NatsEventSink } from "./events.js";

/** The completion events' sink, with no connection yet (`attach` gives it one). */
export function eventSink(config: KlineExtractorConfig, log: Logger): NatsEventSink {
  return new NatsEventSink(
    undefined,
    config.NATS_SUBJECT_PREFIX,
    log.child({ component: "events" }),
    config.NATS_ENABLED,
  );
}

/** The connection the events go out on: retried until it opens, `connectTimeoutMs` passes or `signal` aborts. */
export function connectEventBus(
  config: KlineExtractorConfig,
  log: Logger,
  opts: { connectTimeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Bus> {
  return Bus.connect({
    servers: config.NATS_URL,
    name: "kline-extractor",
    logger: log,
    namespace: config.TRADEWIRE_NAMESPACE,
    connectTimeoutMs: opts.connectTimeoutMs,
    signal: opts.signal,
  });
}

/**
 * Connects the event publisher (the CLI: once, bounded). NATS being down never stops an
 * extraction: the sink is left without a connection, and every event it cannot send is a counted
 * warning.
 */
export async function connectEvents(
  config: KlineExtractorConfig,
  log: Logger,
  opts: { connectTimeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ sink: NatsEventSink; bus: Bus | undefined }> {
  const sink = eventSink(config, log);
  if (!config.NATS_ENABLED) return { sink, bus: undefined };
  try {
    const bus = await connectEventBus(config, log, opts);
    sink.attach(bus);
    return { sink, bus };
  } catch (error) {
    log
      .child({ component: "events" })
      .warn("nats unavailable; extraction continues without completion events", {
        url: config.NATS_URL,
        err: error,
      });
    return { sink, bus: undefined };
  }
}
