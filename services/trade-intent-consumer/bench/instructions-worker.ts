// The process valgrind counts: settles one pre-filled stream with the bare loop or the service in
// SAFE_DRAIN, then exits. Usage: instructions-worker.ts bare|drain <stream> <entries>
import { NATS_URL, REDIS_URL, uniqueName } from "@tradewire/testkit";
import { Redis } from "ioredis";
import { bareLoop, serviceRun } from "./loops.js";

const [mode, stream, entriesText] = process.argv.slice(2);
const entries = Number(entriesText);
if ((mode !== "bare" && mode !== "drain") || stream === undefined || !(entries > 0))
  throw new Error(
    `usage: instructions-worker.ts bare|drain <stream> <entries>, got ${process.argv.slice(2)}`,
  );
const redis = new Redis(REDIS_URL);
if (mode === "bare") await bareLoop(redis, stream, entries);
else
  await serviceRun({
    redis,
    redisUrl: REDIS_URL,
    natsUrl: NATS_URL,
    namespace: uniqueName("instr"),
    stream,
    safeDrain: true,
    entries,
  });
await redis.quit();
