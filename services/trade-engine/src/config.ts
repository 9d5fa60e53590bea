import { commonEnv, databaseEnv, env, natsEnv } from "@tradewire/config";
import { z } from "zod";

/** The only place this service reads its environment. */
export const ConfigSchema = z
  .object({
    ...commonEnv,
    ...natsEnv,
    ...databaseEnv,
    TRADEWIRE_NAMESPACE: env.string(""),
    /** Only paper trading is implemented so far: testnet and live are refused at start. */
    TRADING_MODE: env.enum(["paper"] as const, "paper"),
    MAX_SIGNAL_AGE_SECONDS: env.int(300, { min: 1 }),
    MIN_CONFIDENCE: env.number(0.6, { min: 0, max: 1 }),
    /** Empty = every symbol. */
    SYMBOL_WHITELIST: env.list([], { upper: true }),
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
    /** A Binance exchangeInfo JSON: LOT_SIZE, PRICE_FILTER and MIN_NOTIONAL per symbol for sizing. */
    EXCHANGE_INFO_FILE: env.string(""),
    /** Without EXCHANGE_INFO_FILE: minimum order notional in quote currency (paper stand-in). */
    MIN_NOTIONAL: env.number(5, { min: 0 }),
    /** How long a claimed, undecided signal counts as "being decided" before another replica may resume it. */
    CLAIM_LEASE_SECONDS: env.int(30, { min: 1 }),
  })
  .readonly();
export type Config = z.output<typeof ConfigSchema>;
