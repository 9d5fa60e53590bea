import { createSilentLogger } from "@tradewire/logger";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { LiveFeed } from "./live-feed.js";

describe("LiveFeed tasks", () => {
  it("F05 an exchange out of reach for long is not taken for a hung task: the stall deadline outlasts the longest backoff and the connect after it", () => {
    const feed = new LiveFeed({
      wsBase: "ws://127.0.0.1:1",
      shards: [{ route: "", streams: ["btcusdt@trade"] }],
      connectTimeoutMs: 10_000,
      staleMs: 30_000,
      maxAgeMs: 3_600_000,
      backoff: { initialMs: 500, maxMs: 30_000 },
      handlers: { onEvent: () => {}, onMalformed: () => {} },
      registry: new Registry(),
      log: createSilentLogger(),
    });
    const [task] = feed.tasks();
    // A 30 s backoff sleep, then a connect that takes its whole 10 s: no progress between them.
    expect(task?.stallTimeoutMs).toBeGreaterThan(30_000 + 10_000);
  });
});
