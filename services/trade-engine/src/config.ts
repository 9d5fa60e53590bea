import { commonEnv, databaseEnv, env, natsEnv } from "@tradewire/config";
import { z } from "zod";

/** [testnet, live] REST hosts per market. */
const DEFAULT_HOSTS = {
  spot: ["https://testnet.binance.vision", "https://api.binance.com"],
  futures: ["https://testnet.binancefuture.com", "https://fapi.binance.com"],
} as const;

/** Binance's testnet hosts; any other *.binance.com host trades real money. */
const TESTNET_HOSTS = new Set([
  "testnet.binance.vision",
  "testnet.binancefuture.com",
  "demo-fapi.binance.com",
]);

/** Whether a REST base URL is a live Binance host (api.binance.com, fapi.binance.com, api1… and the like). */
export function isLiveBinanceHost(base: string): boolean {
  const host = /^https?:\/\/([^/:\s]+)/.exec(base)?.[1]?.toLowerCase();
  if (host === undefined || TESTNET_HOSTS.has(host)) return false;
  return host === "binance.com" || host.endsWith(".binance.com") || host.endsWith(".binance.us");
}

/**
 * [testnet, live] user data stream endpoints per market: spot subscribes on the WebSocket API
 * (spot listenKeys ended 2026-02-20); USD-M connects a listenKey on the private route.
 */
const DEFAULT_USER_STREAMS = {
  spot: ["wss://ws-api.testnet.binance.vision/ws-api/v3", "wss://ws-api.binance.com:443/ws-api/v3"],
  futures: ["wss://fstream.binancefuture.com/private/ws", "wss://fstream.binance.com/private/ws"],
} as const;

/** The only place this service reads its environment. */
export const ConfigSchema = z
  .object({
    ...commonEnv,
    ...natsEnv,
    ...databaseEnv,
    TRADEWIRE_NAMESPACE: env.string(""),
    /** paper (default) simulates fills; testnet and live send spot orders to Binance. */
    TRADING_MODE: env.enum(["paper", "testnet", "live"] as const, "paper"),
    /** Secrets from the environment (a Kubernetes Secret); required for testnet and live, never logged. */
    BINANCE_API_KEY: env.string(""),
    BINANCE_API_SECRET: env.string(""),
    /** testnet/live: spot orders, or USD-M futures (shorts, leverage, reduce-only closes). */
    BINANCE_MARKET: env.enum(["spot", "futures"] as const, "spot"),
    /**
     * Empty: the market's own host. Spot: https://testnet.binance.vision (testnet),
     * https://api.binance.com (live); futures: https://testnet.binancefuture.com, https://fapi.binance.com.
     */
    BINANCE_HTTP_BASE: env.string(""),
    /** testnet/live: stop-loss / take-profit as exchange orders (OCO on spot, Algo conditional on futures). */
    EXCHANGE_PROTECTION: env.bool(true),
    /** How often exchange-side protections are polled for an executed leg. */
    PROTECTION_POLL_S: env.int(5, { min: 1 }),
    /** testnet/live: how often GTC LIMIT orders working on the exchange are asked what executed. */
    ORDER_POLL_MS: env.int(3_000, { min: 100 }),
    /**
     * testnet/live: follow the account's user data stream, so a working order's fill or cancel is
     * looked up at once instead of at the next ORDER_POLL_MS (which stays as the backstop).
     */
    USER_STREAM: env.bool(true),
    /** Empty: the market's own endpoint (see DEFAULT_USER_STREAMS). */
    BINANCE_USER_STREAM_URL: env.string(""),
    /** The user data stream is pinged this often; a ping unanswered by the next one drops it (F39). */
    USER_STREAM_PING_MS: env.int(20_000, { min: 100 }),
    /**
     * Every order the exchange took must be reported on the user data stream within this; one that
     * is not means a connected but silent stream (F39): said at warn and resubscribed.
     */
    USER_STREAM_EXPECT_MS: env.int(5_000, { min: 100 }),
    BINANCE_TIMEOUT_MS: env.int(10_000, { min: 100 }),
    BINANCE_WEIGHT_LIMIT: env.int(1200, { min: 1 }),
    /** A fill further than this fraction from the sizing quote is logged at error (feed and venue disagree: F27). */
    MAX_FILL_DEVIATION: env.number(0.02, { min: 0, max: 1 }),
    /** How often stop-loss / take-profit levels are checked against the latest quote. */
    PROTECTION_CHECK_MS: env.int(200, { min: 10 }),
    /**
     * testnet/live: an order whose submit failed with an unknown outcome is looked up at every retry,
     * and sent again only once this long has passed since, if the exchange still does not show it.
     */
    ORDER_RESEND_AFTER_MS: env.int(10_000, { min: 0 }),
    /** testnet/live: compare open orders and balances with the exchange on start and this often. */
    RECONCILE_INTERVAL_S: env.int(60, { min: 1 }),
    /**
     * testnet/live: how often the account's equity is read (what `position_size_pct` sizes on); a
     * reading older than three times this is not sized on.
     */
    ACCOUNT_EQUITY_REFRESH_S: env.int(30, { min: 1 }),
    /** How often the outbox is swept: published batches' rows deleted, events left behind published. */
    OUTBOX_SWEEP_MS: env.int(5_000, { min: 100 }),
    /** live refuses to start unless this is exactly "yes". */
    LIVE_TRADING_CONFIRM: env.string(""),
    MAX_SIGNAL_AGE_SECONDS: env.int(300, { min: 1 }),
    /** Failed attempts at a message's decision before it is dead-lettered (about 4 min of backoff at 10). */
    MAX_DELIVERIES: env.int(10, { min: 1 }),
    /** A signal timed further ahead of the engine's clock than this is rejected (`future_signal`). */
    MAX_SIGNAL_CLOCK_SKEW_SECONDS: env.int(10, { min: 0 }),
    MIN_CONFIDENCE: env.number(0.6, { min: 0, max: 1 }),
    /** Empty = every symbol. */
    SYMBOL_WHITELIST: env.list([], { upper: true }),
    /**
     * Quote assets counted as US dollars: sizes, every USD limit, equity and PnL assume them. An entry
     * on a symbol quoted in anything else (ETHBTC) is rejected rather than sized in BTC as if dollars.
     */
    USD_QUOTE_ASSETS: env.list(["USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USDP"], { upper: true }),
    MAX_NOTIONAL_PER_POSITION: env.number(1_000, { min: 0 }),
    MAX_NOTIONAL_PER_SYMBOL: env.number(2_000, { min: 0 }),
    MAX_OPEN_POSITIONS: env.int(10, { min: 0 }),
    MAX_PORTFOLIO_EXPOSURE: env.number(10_000, { min: 0 }),
    MAX_LEVERAGE: env.int(10, { min: 1, max: 125 }),
    DAILY_LOSS_LIMIT: env.number(500, { min: 0 }),
    COOLDOWN_SECONDS: env.int(30, { min: 0 }),
    DEFAULT_POSITION_SIZE_USD: env.number(100, { min: 0 }),
    PAPER_EQUITY: env.number(10_000, { min: 0 }),
    PAPER_FEE_RATE: env.number(0.001, { min: 0, max: 0.1 }),
    PAPER_SLIPPAGE_BPS: env.number(2, { min: 0, max: 1000 }),
    PRICE_MAX_AGE_MS: env.int(5_000, { min: 100 }),
    /**
     * How long the consumers wait at start for the price feed (every whitelisted symbol quoted, or
     * the feed's symbols settled) before deciding anything; 0: no wait.
     */
    PRICE_WARMUP_MS: env.int(5_000, { min: 0 }),
    /** A Binance exchangeInfo JSON: LOT_SIZE, PRICE_FILTER and MIN_NOTIONAL per symbol for sizing. */
    EXCHANGE_INFO_FILE: env.string(""),
    /** Without EXCHANGE_INFO_FILE: minimum order notional in quote currency (paper stand-in). */
    MIN_NOTIONAL: env.number(5, { min: 0 }),
    /**
     * A consumer whose batch sees the engine make no progress for this long (a call that hangs, the
     * lock held by work that never ends) is stalled (F05): said at error, /ready false, and bound
     * again once the decision returns. Above the longest a single decision may wait: a 429's
     * Retry-After and then the rate limiter's minute window (about two minutes).
     */
    CONSUMER_STALL_S: env.int(180, { min: 2 }),
    /** How long a claimed, undecided signal counts as "being decided" before another replica may resume it. */
    CLAIM_LEASE_SECONDS: env.int(30, { min: 1 }),
  })
  .superRefine((c, ctx) => {
    // The consumers wait for the price feed before they bind, with no progress to report meanwhile.
    if (c.PRICE_WARMUP_MS >= c.CONSUMER_STALL_S * 1_000)
      ctx.addIssue({
        code: "custom",
        path: ["PRICE_WARMUP_MS"],
        message: `must be below CONSUMER_STALL_S (${c.CONSUMER_STALL_S} s), or the consumers stall while they wait for prices; got ${c.PRICE_WARMUP_MS}`,
      });
    if (c.TRADING_MODE === "paper") return;
    for (const key of ["BINANCE_API_KEY", "BINANCE_API_SECRET"] as const) {
      if (c[key] === "")
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `required when TRADING_MODE=${c.TRADING_MODE}`,
        });
    }
    if (c.BINANCE_HTTP_BASE !== "" && !/^https?:\/\/[^/\s]+/.test(c.BINANCE_HTTP_BASE))
      ctx.addIssue({
        code: "custom",
        path: ["BINANCE_HTTP_BASE"],
        message: `must be an http:// or https:// URL, got ${JSON.stringify(c.BINANCE_HTTP_BASE)}`,
      });
    // testnet pointed at a live host would trade real money without the live interlock.
    if (c.TRADING_MODE === "testnet" && isLiveBinanceHost(c.BINANCE_HTTP_BASE))
      ctx.addIssue({
        code: "custom",
        path: ["BINANCE_HTTP_BASE"],
        message: `${c.BINANCE_HTTP_BASE} is a live Binance host: TRADING_MODE=testnet would trade real money there; use the testnet host (empty picks it), or TRADING_MODE=live with LIVE_TRADING_CONFIRM=yes`,
      });
    if (c.BINANCE_USER_STREAM_URL !== "" && !/^wss?:\/\/[^/\s]+/.test(c.BINANCE_USER_STREAM_URL))
      ctx.addIssue({
        code: "custom",
        path: ["BINANCE_USER_STREAM_URL"],
        message: `must be a ws:// or wss:// URL, got ${JSON.stringify(c.BINANCE_USER_STREAM_URL)}`,
      });
    if (c.TRADING_MODE === "live" && c.LIVE_TRADING_CONFIRM !== "yes") {
      ctx.addIssue({
        code: "custom",
        path: ["LIVE_TRADING_CONFIRM"],
        message:
          "TRADING_MODE=live sends real orders with real money: set LIVE_TRADING_CONFIRM=yes to confirm",
      });
    }
  })
  .transform((c) => {
    const live = c.TRADING_MODE === "live" ? 1 : 0;
    return {
      ...c,
      BINANCE_HTTP_BASE: c.BINANCE_HTTP_BASE || DEFAULT_HOSTS[c.BINANCE_MARKET][live],
      BINANCE_USER_STREAM_URL: c.BINANCE_USER_STREAM_URL || DEFAULT_USER_STREAMS[c.BINANCE_MARKET][live],
    };
  })
  .readonly();
export type Config = z.output<typeof ConfigSchema>;
