import { loadConfig } from "@tradewire/config";
import { createLogger } from "@tradewire/logger";
import { runService } from "@tradewire/supervisor";
import { ConfigSchema } from "./config.js";

const cfg = loadConfig("market-relay", ConfigSchema);
const logger = createLogger({ service: "market-relay", level: cfg.LOG_LEVEL, format: cfg.LOG_FORMAT });
await runService(logger, "market-relay", async () =>
  // Loaded inside `start`, so a module that fails to load is reported like any failed start (F02).
  (await import("./app.js")).startRelay(cfg, logger),
);
