import { Redis } from "ioredis";
import { uniqueName } from "./ids.js";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix for one test on the shared Redis; `cleanup()` deletes every key under it. */
export async function redisScope(prefix = "t"): Promise<{
  prefix: string;
  url: string;
  redis: Redis;
  key(name: string): string;
  cleanup(): Promise<void>;
}> {
  const scope = `${uniqueName(prefix)}:`;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  return {
    prefix: scope,
    url: REDIS_URL,
    redis,
    key: (name) => `${scope}${name}`,
    async cleanup() {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${scope}*`, "COUNT", 500);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== "0");
      redis.disconnect();
    },
  };
}
