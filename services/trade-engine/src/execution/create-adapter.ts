import {
  BinanceRest,
  FuturesOrders,
  FuturesUserStream,
  SpotOrders,
  SpotUserStream,
  type SymbolFilters,
  type UserStreamSource,
  WeightRateLimiter,
} from "@tradewire/binance";
import type { Logger } from "@tradewire/logger";
import type { Config } from "../config.js";
import type { ExecutionAdapter } from "./adapter.js";
import { BinanceAdapter } from "./binance-adapter.js";
import { FuturesVenue } from "./futures-venue.js";
import { PaperAdapter } from "./paper-adapter.js";
import { SpotVenue } from "./spot-venue.js";
import type { ExchangeAccount } from "./venue.js";

/** The execution adapter TRADING_MODE asks for; the start log says loudly which one trades. */
export function createAdapter(
  cfg: Config,
  log: Logger,
  filters?: ReadonlyMap<string, SymbolFilters>,
): {
  adapter: ExecutionAdapter;
  account?: ExchangeAccount;
  userStream?: UserStreamSource;
  /** What pauses every exchange call now (see WeightRateLimiter.pausedBy); none in paper. */
  exchangePause?: () => string | undefined;
} {
  if (cfg.TRADING_MODE === "paper") {
    log.info("execution: paper trading (simulated fills at live quotes)", { mode: "paper" });
    return {
      adapter: new PaperAdapter({ slippageBps: cfg.PAPER_SLIPPAGE_BPS, feeRate: cfg.PAPER_FEE_RATE }),
    };
  }
  const logger = log.child({ component: "binance" });
  const limiter = new WeightRateLimiter({ limitPerMinute: cfg.BINANCE_WEIGHT_LIMIT, share: 0.5, logger });
  const rest = new BinanceRest({
    baseUrl: cfg.BINANCE_HTTP_BASE,
    limiter,
    logger,
    timeoutMs: cfg.BINANCE_TIMEOUT_MS,
    credentials: { apiKey: cfg.BINANCE_API_KEY, apiSecret: cfg.BINANCE_API_SECRET },
    timePath: cfg.BINANCE_MARKET === "futures" ? "/fapi/v1/time" : "/api/v3/time",
  });
  const venue =
    cfg.BINANCE_MARKET === "futures"
      ? new FuturesVenue(new FuturesOrders(rest), filters)
      : new SpotVenue(new SpotOrders(rest), filters);
  const level = cfg.TRADING_MODE === "live" ? "warn" : "info";
  log[level](`execution: ${cfg.TRADING_MODE} ${cfg.BINANCE_MARKET} orders on Binance`, {
    mode: cfg.TRADING_MODE,
    market: cfg.BINANCE_MARKET,
    httpBase: cfg.BINANCE_HTTP_BASE,
    exchangeProtection: cfg.EXCHANGE_PROTECTION,
  });
  const protective = cfg.EXCHANGE_PROTECTION ? venue : undefined;
  const adapter = new BinanceAdapter(cfg.TRADING_MODE, venue, log, protective);
  return {
    adapter,
    account: venue,
    userStream: cfg.USER_STREAM ? userStreamOf(cfg, rest) : undefined,
    exchangePause: () => limiter.pausedBy(),
  };
}

/** The account's user data stream for the configured market. */
function userStreamOf(cfg: Config, rest: BinanceRest): UserStreamSource {
  const url = cfg.BINANCE_USER_STREAM_URL;
  if (cfg.BINANCE_MARKET === "futures") return new FuturesUserStream({ url, rest });
  return new SpotUserStream({ url, apiKey: cfg.BINANCE_API_KEY, apiSecret: cfg.BINANCE_API_SECRET });
}
