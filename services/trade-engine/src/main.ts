import { loadConfig } from "@tradewire/config";
import { createLogger } from "@tradewire/logger";
import { runService } from "@tradewire/supervisor";
import { startEngine } from "./app.js";
import { ConfigSchema } from "./config.js";

const cfg = loadConfig("trade-engine", ConfigSchema);
const logger = createLogger({ service: "trade-engine", level: cfg.LOG_LEVEL, format: cfg.LOG_FORMAT });
await runService(logger, "trade-engine", () => startEngine(cfg, logger));
