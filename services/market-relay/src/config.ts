import { commonEnv, env, natsEnv } from "@tradewire/config";
import { z } from "zod";

/** The only place this service reads its environment. */
export const ConfigSchema = z.object({
  ...commonEnv,
  ...natsEnv,
  TRADEWIRE_NAMESPACE: env.string(""),
  SYMBOLS: env.list(["BTCUSDT", "ETHUSDT"], { upper: true }),
  /** Only the simulator is implemented so far; live and replay are refused at start. */
  MARKET_SOURCE: env.enum(["simulator"] as const, "simulator"),
  BINANCE_MARKET: env.enum(["spot", "futures"] as const, "spot"),
  SIM_SEED: env.int(42),
  /** Book updates every 100 ms / SIM_SPEED; the simulated clock also runs SIM_SPEED times faster. */
  SIM_SPEED: env.number(1, { min: 0.1, max: 1000 }),
  SUMMARY_INTERVAL_S: env.int(30, { min: 1 }),
});
export type Config = z.output<typeof ConfigSchema>;
