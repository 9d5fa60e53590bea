import { loadConfig } from "@tradewire/config";
import { createLogger } from "@tradewire/logger";
import { runService } from "@tradewire/supervisor";
import { ConfigSchema } from "./config.js";

const cfg = loadConfig("realtime-strategies", ConfigSchema);
const logger = createLogger({ service: "realtime-strategies", level: cfg.LOG_LEVEL, format: cfg.LOG_FORMAT });
await runService(logger, "realtime-strategies", async () =>
  // Loaded inside `start`, so a module that fails to load is reported like any failed start (F02).
  (await import("./app.js")).startStrategies(cfg, logger),
);
