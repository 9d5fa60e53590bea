import { loadConfig } from "@tradewire/config";
import { createLogger } from "@tradewire/logger";
import { runService } from "@tradewire/supervisor";
import { ConfigSchema } from "./config.js";

const cfg = loadConfig("trade-engine", ConfigSchema);
const logger = createLogger({ service: "trade-engine", level: cfg.LOG_LEVEL, format: cfg.LOG_FORMAT });
await runService(logger, "trade-engine", async () =>
  // Loaded inside `start`, so a module that fails to load is reported like any failed start (F02).
  (await import("./app.js")).startEngine(cfg, logger),
);
