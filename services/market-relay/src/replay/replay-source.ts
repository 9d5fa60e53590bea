import type { Logger } from "@tradewire/logger";
import { KlineInterval } from "@tradewire/schemas";
import { type Supervisor, sleep } from "@tradewire/supervisor";
import type { MarketSource } from "../app.js";
import type { Config } from "../config.js";
import type { MarketPublisher } from "../publisher.js";
import { describeCandleFile, intervalToMs, loadCandles } from "./candle-file.js";
import { CandleMarket } from "./candle-market.js";

/** Resolves symbol and interval from the config or the file name; throws naming what is missing. */
export function replayTarget(cfg: Config): { symbol: string; interval: KlineInterval } {
  const fromName = describeCandleFile(cfg.REPLAY_FILE);
  const symbol = cfg.REPLAY_SYMBOL || fromName.symbol;
  const interval = KlineInterval.safeParse(cfg.REPLAY_INTERVAL || fromName.interval);
  if (!symbol)
    throw new Error(`REPLAY_SYMBOL: cannot tell the symbol from ${cfg.REPLAY_FILE}; set REPLAY_SYMBOL`);
  if (!interval.success) {
    throw new Error(
      `REPLAY_INTERVAL: cannot tell the interval from ${cfg.REPLAY_FILE} (got ${JSON.stringify(cfg.REPLAY_INTERVAL)}); set REPLAY_INTERVAL`,
    );
  }
  return { symbol: symbol.toUpperCase(), interval: interval.data };
}

/**
 * Replays a candle file as the market: klines (forming, then closed exactly as the file), with
 * trades and books synthesized consistently with each candle, paced by REPLAY_SPEED.
 */
export function startReplaySource(
  cfg: Config,
  publisher: MarketPublisher,
  supervisor: Supervisor,
  log: Logger,
): MarketSource {
  const { symbol, interval } = replayTarget(cfg);
  const candles = loadCandles(cfg.REPLAY_FILE);
  const intervalMs = intervalToMs(interval);
  let lastPublish = 0;
  let replayed = 0;
  /** The next candle to replay, kept across the task's restarts. */
  let resumeAt = 0;
  let finished = false;
  let simNow = candles[0]?.openTime ?? 0;
  log.info("replay loaded", {
    file: cfg.REPLAY_FILE,
    symbol,
    interval,
    candles: candles.length,
    speed: cfg.REPLAY_SPEED,
  });
  supervisor.addTask({
    name: "replay",
    stallTimeoutMs: Math.max(10_000, (intervalMs / cfg.REPLAY_SPEED) * 3),
    async run(ctx) {
      do {
        // A restart (the task stalled, or failed) goes on from the candle it was at, not the first.
        const from = resumeAt;
        const market = new CandleMarket(symbol, interval, intervalMs, cfg.BINANCE_MARKET);
        const wallStart = performance.now();
        const simStart = candles[from]?.openTime ?? 0;
        let previous = candles[from - 1]?.openTime;
        for (const candle of candles.slice(from)) {
          const gapMs = previous === undefined ? 0 : candle.openTime - previous - intervalMs;
          previous = candle.openTime;
          if (gapMs > 0)
            log.info(
              "replay: the file has no candles here (a halt); their time passes at the replay's speed",
              {
                symbol,
                missing: Math.round(gapMs / intervalMs),
                until: new Date(candle.openTime).toISOString(),
                waitMs: Math.round(gapMs / cfg.REPLAY_SPEED),
              },
            );
          for (const step of market.steps(candle)) {
            const due = wallStart + (step.at - simStart) / cfg.REPLAY_SPEED;
            // In slices, each a sign of life: a halt in the file is a long wait, not a stall.
            for (
              let left = due - performance.now();
              left > 0 && !ctx.signal.aborted;
              left = due - performance.now()
            ) {
              await sleep(Math.min(left, 1_000), ctx.signal);
              ctx.progress();
            }
            if (ctx.signal.aborted) return;
            const receiveTime = Date.now();
            for (const message of step.messages) {
              message.receiveTime = receiveTime;
              publisher.publish(message);
            }
            simNow = step.at;
            lastPublish = receiveTime;
            ctx.progress();
          }
          replayed += 1;
          resumeAt += 1;
        }
        resumeAt = 0;
        log.info("replay reached the end of the file", { symbol, candles: replayed, loop: cfg.REPLAY_LOOP });
      } while (cfg.REPLAY_LOOP && !ctx.signal.aborted);
      finished = true;
      // Nothing left to publish: idle (visibly, in /ready details) until shutdown.
      while (!ctx.signal.aborted) {
        ctx.progress();
        await sleep(1_000, ctx.signal);
      }
    },
  });
  return {
    isReceiving: () => finished || Date.now() - lastPublish < 5_000 + intervalMs / cfg.REPLAY_SPEED,
    describe: () => ({
      replay: {
        symbol,
        interval,
        replayedCandles: replayed,
        of: candles.length,
        finished,
        simulatedTime: new Date(simNow).toISOString(),
      },
    }),
  };
}
