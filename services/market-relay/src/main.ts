import { loadConfig } from "@tradewire/config";
import { createLogger } from "@tradewire/logger";
import { runService } from "@tradewire/supervisor";
import { startRelay } from "./app.js";
import { ConfigSchema } from "./config.js";

const cfg = loadConfig("market-relay", ConfigSchema);
const logger = createLogger({ service: "market-relay", level: cfg.LOG_LEVEL, format: cfg.LOG_FORMAT });
await runService(logger, "market-relay", () => startRelay(cfg, logger));
