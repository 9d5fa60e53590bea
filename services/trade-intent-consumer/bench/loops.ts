// The loops both benchmarks run: filling a stream, the bare XREADGROUP+XACK baseline, and the
// service draining or forwarding a stream. Each returns after its N entries are settled.
import { Writable } from "node:stream";
import { parseConfig } from "@tradewire/config";
import { createLogger } from "@tradewire/logger";
import { waitFor } from "@tradewire/testkit";
import type { Redis } from "ioredis";
import { startIntentService } from "../src/app.js";
import { ConfigSchema } from "../src/config.js";

export const GROUP = "group";

/** Writes n fresh intents as flat fields, as producers do, and creates the group before them. */
export async function fillStream(r: Redis, stream: string, n: number): Promise<void> {
  await r.xgroup("CREATE", stream, GROUP, "$", "MKSTREAM");
  for (let done = 0; done < n; done += 1000) {
    const p = r.pipeline();
    const ts = new Date().toISOString();
    for (let i = 0; i < Math.min(1000, n - done); i++) {
      p.xadd(
        stream,
        "*",
        "symbol",
        "BTCUSDT",
        "side",
        "BUY",
        "confidence",
        "0.8",
        "position_size_usd",
        "100",
        "timestamp",
        ts,
      );
    }
    await p.exec();
  }
}

/** The baseline: read 500 entries, ack them, repeat; nothing decoded or checked. */
export async function bareLoop(r: Redis, stream: string, n: number): Promise<void> {
  let done = 0;
  while (done < n) {
    const reply = (await r.xreadgroup(
      "GROUP",
      GROUP,
      "bare",
      "COUNT",
      500,
      "BLOCK",
      100,
      "STREAMS",
      stream,
      ">",
    )) as [string, [string, string[]][]][] | null;
    const ids = reply?.[0]?.[1].map(([id]) => id) ?? [];
    if (ids.length) await r.xack(stream, GROUP, ...ids);
    done += ids.length;
  }
}

export interface ServiceRunOptions {
  redis: Redis;
  redisUrl: string;
  natsUrl: string;
  namespace: string;
  stream: string;
  safeDrain: boolean;
  entries: number;
}

/** The service on `stream` (group GROUP), silent, with `extra` settings over the defaults. */
export function startBenchService(
  o: Pick<ServiceRunOptions, "natsUrl" | "namespace" | "redisUrl" | "stream">,
  extra: Record<string, string> = {},
) {
  const cfg = parseConfig("bench", ConfigSchema, {
    NATS_URL: o.natsUrl,
    TRADEWIRE_NAMESPACE: o.namespace,
    REDIS_URL: o.redisUrl,
    TRADE_INTENT_STREAM: o.stream,
    TRADE_INTENT_GROUP: GROUP,
    HTTP_PORT: "0",
    ...extra,
  });
  return startIntentService(cfg, nullLogger(), { handleSignals: false });
}

/** Starts the service on the stream's backlog; resolves with the ms from start() to all settled. */
export async function serviceRun(o: ServiceRunOptions): Promise<number> {
  const svc = await startBenchService(o, {
    TRADE_INTENT_SAFE_DRAIN: String(o.safeDrain),
    TRADE_INTENT_START: "backlog",
  });
  try {
    const started = performance.now(); // consumption starts when start() returns; connecting is not measured
    await waitFor(
      "drained",
      async () =>
        (await o.redis.xpending(o.stream, GROUP))[0] === 0 && svc.processor.totals.processed >= o.entries,
      600_000,
      5,
    );
    return performance.now() - started;
  } finally {
    await svc.stop("bench");
  }
}

export function nullLogger() {
  return createLogger({
    service: "bench",
    format: "json",
    stream: new Writable({ write: (_c, _e, cb) => cb() }),
  });
}
