export type { ConfigProblem, Env } from "./config.js";
export { ConfigError, loadConfig, parseConfig } from "./config.js";
export { commonEnv, databaseEnv, env, natsEnv, redisEnv } from "./env.js";
