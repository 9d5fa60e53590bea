import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { publishedAs, unsupportedStream } from "@tradewire/binance";
import { commonEnv, env, natsEnv } from "@tradewire/config";
import { z } from "zod";

const DEFAULT_WS_BASE = {
  spot: "wss://stream.binance.com:9443",
  futures: "wss://fstream.binance.com",
} as const;

/** The only place this service reads its environment. */
export const ConfigSchema = z
  .object({
    ...commonEnv,
    ...natsEnv,
    TRADEWIRE_NAMESPACE: env.string(""),
    SYMBOLS: env.list(["BTCUSDT", "ETHUSDT"], { upper: true }),
    /** `simulator` (default for development and the demo), `live` Binance streams, or `replay` of a candle file. */
    MARKET_SOURCE: env.enum(["simulator", "live", "replay"] as const, "simulator"),
    BINANCE_MARKET: env.enum(["spot", "futures"] as const, "spot"),
    /** Binance stream suffixes, as in `<symbol>@<stream>`. */
    STREAMS: env.list(["depth20@100ms", "trade", "kline_1m", "bookTicker"]),
    /** Empty: Binance's own base for BINANCE_MARKET. Tests and the demo point it at a fake. */
    BINANCE_WS_BASE: env.string(""),
    /** Binance allows 1024 streams per connection; more streams open more connections. */
    MAX_STREAMS_PER_CONNECTION: env.int(200, { min: 1, max: 1024 }),
    /** A stream silent this long is logged at warn and its connection recycled (F39). */
    STALE_STREAM_S: env.number(30, { min: 0.5 }),
    CONNECT_TIMEOUT_MS: env.int(10_000, { min: 100 }),
    /** Binance cuts connections at 24 h: roll over before, opening the new one first. */
    CONNECTION_MAX_AGE_S: env.int(23 * 3600, { min: 10 }),
    /** One publisher per feed across replicas (NATS KV lease); off only for a single-replica setup. */
    LEADER_ELECTION: env.bool(true),
    LEASE_TTL_S: env.number(6, { min: 1 }),
    /** This replica's name in the lease (the pod name). */
    RELAY_ID: env.string(hostname()),
    /** replay: a candle file in the layout of shared/data/binance/candles (freqtrade JSON rows). */
    REPLAY_FILE: env.string(""),
    /** replay: empty = from the file name (binance_spot_BTC_USDT-5m_... → BTCUSDT, 5m). */
    REPLAY_SYMBOL: env.string(""),
    REPLAY_INTERVAL: env.string(""),
    /** replay: simulated time runs this many times faster than wall time (60: a 1m candle per second). */
    REPLAY_SPEED: env.number(60, { min: 0.1, max: 1_000_000 }),
    /** replay: start over at the end (timestamps jump back), else stop publishing and say so. */
    REPLAY_LOOP: env.bool(false),
    SIM_SEED: env.int(42),
    /** Book updates every 100 ms / SIM_SPEED; the simulated clock also runs SIM_SPEED times faster. */
    SIM_SPEED: env.number(1, { min: 0.1, max: 1000 }),
    SUMMARY_INTERVAL_S: env.int(30, { min: 1 }),
  })
  .superRefine((c, ctx) => {
    const publishing = new Map<string, string>();
    for (const stream of c.STREAMS) {
      const why = unsupportedStream(stream);
      if (why !== undefined)
        ctx.addIssue({ code: "custom", path: ["STREAMS"], message: `"${stream}": ${why}` });
      const as = publishedAs(stream);
      const other = as === undefined ? undefined : publishing.get(as);
      if (as !== undefined && other !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["STREAMS"],
          message: `"${other}" and "${stream}" would both publish on md.binance.<SYMBOL>.${as}, interleaved: keep one`,
        });
      else if (as !== undefined) publishing.set(as, stream);
    }
    if (c.MARKET_SOURCE === "replay" && c.REPLAY_FILE === "") {
      ctx.addIssue({ code: "custom", path: ["REPLAY_FILE"], message: "required when MARKET_SOURCE=replay" });
    }
  })
  .transform((c) => ({ ...c, BINANCE_WS_BASE: c.BINANCE_WS_BASE || DEFAULT_WS_BASE[c.BINANCE_MARKET] }));
export type Config = z.output<typeof ConfigSchema>;

/** The lease key: one feed = one venue market and stream set, whatever replica serves it. */
export function feedId(
  cfg: Pick<Config, "BINANCE_MARKET" | "MARKET_SOURCE" | "SYMBOLS" | "STREAMS">,
): string {
  const set = `${[...cfg.SYMBOLS].sort().join(",")}|${[...cfg.STREAMS].sort().join(",")}`;
  const digest = createHash("sha256").update(set).digest("hex").slice(0, 12);
  return `binance.${cfg.BINANCE_MARKET}.${cfg.MARKET_SOURCE}.${digest}`;
}
