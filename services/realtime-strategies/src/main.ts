import { loadConfig } from "@tradewire/config";
import { createLogger } from "@tradewire/logger";
import { runService } from "@tradewire/supervisor";
import { startStrategies } from "./app.js";
import { ConfigSchema } from "./config.js";

const cfg = loadConfig("realtime-strategies", ConfigSchema);
const logger = createLogger({ service: "realtime-strategies", level: cfg.LOG_LEVEL, format: cfg.LOG_FORMAT });
await runService(logger, "realtime-strategies", () => startStrategies(cfg, logger));
