import type { Logger } from "@tradewire/logger";
import { Redis } from "ioredis";

/** A Redis connection whose outages are logged at error and recoveries at info. */
export function connectRedis(url: string, role: string, log: Logger): Redis {
  const redis = new Redis(url, {
    connectionName: `trade-intent-consumer:${role}`,
    maxRetriesPerRequest: 3,
    retryStrategy: (attempt) => Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)),
  });
  let down = false;
  redis.on("error", (error: Error) => {
    if (!down) log.error("redis connection error", { role, err: error });
    down = true;
  });
  redis.on("ready", () => {
    log.info(down ? "redis reconnected" : "redis connected", { role });
    down = false;
  });
  return redis;
}
