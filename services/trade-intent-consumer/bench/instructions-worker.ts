// The process valgrind counts: settles one pre-filled stream with the bare loop or the service in
// SAFE_DRAIN, then exits. Usage: instructions-worker.ts bare|drain <stream> <entries>
import { natsNamespace, REDIS_URL } from "@tradewire/testkit";
import { Redis } from "ioredis";
import { bareLoop, serviceRun } from "./loops.js";

const [mode, stream, entriesText] = process.argv.slice(2);
const entries = Number(entriesText);
if ((mode !== "bare" && mode !== "drain") || stream === undefined || !(entries > 0))
  throw new Error(
    `usage: instructions-worker.ts bare|drain <stream> <entries>, got ${process.argv.slice(2)}`,
  );
const redis = new Redis(REDIS_URL);
// Created in both modes, so the bare side pays for the same set-up and tear-down.
const nats = await natsNamespace("instr");
if (mode === "bare") await bareLoop(redis, stream, entries);
else
  await serviceRun({
    redis,
    redisUrl: REDIS_URL,
    natsUrl: nats.url,
    namespace: nats.namespace,
    stream,
    safeDrain: true,
    entries,
  });
await nats.cleanup();
await redis.quit();
