import { loadConfig } from "@tradewire/config";
import { createLogger } from "@tradewire/logger";
import { runService } from "@tradewire/supervisor";
import { ConfigSchema } from "./config.js";

const cfg = loadConfig("trade-intent-consumer", ConfigSchema);
const logger = createLogger({
  service: "trade-intent-consumer",
  level: cfg.LOG_LEVEL,
  format: cfg.LOG_FORMAT,
});
await runService(logger, "trade-intent-consumer", async () =>
  // Loaded inside `start`, so a module that fails to load is reported like any failed start (F02).
  (await import("./app.js")).startIntentService(cfg, logger),
);
