import { createSilentLogger } from "@tradewire/logger";
import { TradingSignal } from "@tradewire/schemas";
import type { LoopContext } from "../src/messages.js";
import { STREAMS } from "../src/streams.js";

export function loopContext(): LoopContext & {
  counters: Record<string, number>;
  gauges: Record<string, number>;
  controller: AbortController;
} {
  const controller = new AbortController();
  const counters: Record<string, number> = {};
  const gauges: Record<string, number> = {};
  return {
    controller,
    counters,
    gauges,
    signal: controller.signal,
    progress: () => {},
    count: (name, n = 1) => {
      counters[name] = (counters[name] ?? 0) + n;
    },
    gauge: (name, value) => {
      gauges[name] = value;
    },
  };
}

export const silent = createSilentLogger();

/** A durable consumer of every signal subject, as the engine's. */
export const signalsConsumer = (durable: string) =>
  ({ stream: STREAMS.signals, durable, schema: TradingSignal, schemaName: "TradingSignal" }) as const;
