import { createSilentLogger } from "@tradewire/logger";
import type { LoopContext } from "../src/messages.js";

export function loopContext(): LoopContext & {
  counters: Record<string, number>;
  controller: AbortController;
} {
  const controller = new AbortController();
  const counters: Record<string, number> = {};
  return {
    controller,
    counters,
    signal: controller.signal,
    progress: () => {},
    count: (name, n = 1) => {
      counters[name] = (counters[name] ?? 0) + n;
    },
  };
}

export const silent = createSilentLogger();
