import { loadConfig } from "@tradewire/config";
import { createLogger } from "@tradewire/logger";
import { runService } from "@tradewire/supervisor";
import { KlineExtractorConfig, SERVICE } from "./config.js";

const config = loadConfig(SERVICE, KlineExtractorConfig);
const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL, format: config.LOG_FORMAT });
await runService(log, SERVICE, async () =>
  // Loaded inside `start`, so a module that fails to load is reported like any failed start (F02).
  (await import("./app.js")).startExtractor(config, log),
);
