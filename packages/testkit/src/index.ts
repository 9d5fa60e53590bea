export { uniqueName } from "./ids.js";
export { freePort, NATS_URL, natsNamespace, PrivateNatsServer } from "./nats.js";
export { DATABASE_URL, pgSchema, withSearchPath } from "./postgres.js";
export { REDIS_URL, redisScope } from "./redis.js";
export { PrivateRedisServer } from "./redis-server.js";
export type { ServiceLine, ServiceProcessOptions } from "./service-process.js";
export { ServiceProcess } from "./service-process.js";
export { sharedDataDir } from "./shared-data.js";
export { waitFor } from "./wait.js";
