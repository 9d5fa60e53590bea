import { BinanceRest, SpotOrders, WeightRateLimiter } from "@tradewire/binance";
import type { Logger } from "@tradewire/logger";
import type { Config } from "../config.js";
import type { ExecutionAdapter } from "./adapter.js";
import { BinanceAdapter } from "./binance-adapter.js";
import { PaperAdapter } from "./paper-adapter.js";

/** The execution adapter TRADING_MODE asks for; the start log says loudly which one trades. */
export function createAdapter(cfg: Config, log: Logger): { adapter: ExecutionAdapter; orders?: SpotOrders } {
  if (cfg.TRADING_MODE === "paper") {
    log.info("execution: paper trading (simulated fills at live quotes)", { mode: "paper" });
    return {
      adapter: new PaperAdapter({ slippageBps: cfg.PAPER_SLIPPAGE_BPS, feeRate: cfg.PAPER_FEE_RATE }),
    };
  }
  const logger = log.child({ component: "binance" });
  const rest = new BinanceRest({
    baseUrl: cfg.BINANCE_HTTP_BASE,
    limiter: new WeightRateLimiter({ limitPerMinute: cfg.BINANCE_WEIGHT_LIMIT, share: 0.5, logger }),
    logger,
    timeoutMs: cfg.BINANCE_TIMEOUT_MS,
    credentials: { apiKey: cfg.BINANCE_API_KEY, apiSecret: cfg.BINANCE_API_SECRET },
  });
  const level = cfg.TRADING_MODE === "live" ? "warn" : "info";
  log[level](`execution: ${cfg.TRADING_MODE} spot orders on Binance`, {
    mode: cfg.TRADING_MODE,
    httpBase: cfg.BINANCE_HTTP_BASE,
  });
  const orders = new SpotOrders(rest);
  return { adapter: new BinanceAdapter(cfg.TRADING_MODE, orders, log), orders };
}
