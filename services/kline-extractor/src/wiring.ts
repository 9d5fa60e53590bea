import { Bus } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import type { KlineExtractorConfig } from "./config.js";
import { NatsEventSink } from "./events.js";

/**
 * Connects the event publisher. NATS being down never stops an extraction: the sink is created
 * without a connection, and every event it cannot send is a counted warning.
 */
export async function connectEvents(
  config: KlineExtractorConfig,
  log: Logger,
  opts: { connectTimeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ sink: NatsEventSink; bus: Bus | undefined }> {
  const eventLog = log.child({ component: "events" });
  if (!config.NATS_ENABLED)
    return {
      sink: new NatsEventSink(undefined, config.NATS_SUBJECT_PREFIX, eventLog, false),
      bus: undefined,
    };
  let bus: Bus | undefined;
  try {
    bus = await Bus.connect({
      servers: config.NATS_URL,
      name: "kline-extractor",
      logger: log,
      namespace: config.TRADEWIRE_NAMESPACE,
      connectTimeoutMs: opts.connectTimeoutMs,
      signal: opts.signal,
    });
  } catch (error) {
    eventLog.warn("nats unavailable; extraction continues without completion events", {
      url: config.NATS_URL,
      err: error,
    });
  }
  return { sink: new NatsEventSink(bus, config.NATS_SUBJECT_PREFIX, eventLog), bus };
}
