import type { Logger } from "@tradewire/logger";
import { sleep, type TaskContext } from "@tradewire/supervisor";
import type { Redis } from "ioredis";
import type { Config } from "./config.js";
import { isNoGroup, listGroups } from "./group.js";
import type { IntentMetrics } from "./metrics.js";
import type { BatchProcessor } from "./processor.js";

export interface MonitorDeps {
  admin: Redis;
  cfg: Config;
  log: Logger;
  metrics: IntentMetrics;
  processor: BatchProcessor;
}

/** Refreshes the group gauges and logs the heartbeat line with every count, pending and lag. */
export class Monitor {
  private last = { pending: 0, lag: 0 as number | null, dlq: 0 };

  constructor(private readonly deps: MonitorDeps) {}

  async refresh(): Promise<{ pending: number; lag: number | null; dlq: number }> {
    const { admin, cfg, metrics } = this.deps;
    try {
      const group = (await listGroups(admin, cfg.TRADE_INTENT_STREAM)).find(
        (g) => g.name === cfg.TRADE_INTENT_GROUP,
      );
      this.last = {
        pending: group?.pending ?? 0,
        lag: group?.lag ?? null,
        dlq: await admin.xlen(cfg.TRADE_INTENT_DLQ_STREAM),
      };
    } catch (error) {
      // A stream or group that does not exist yet has nothing pending.
      if (!(error instanceof Error && (isNoGroup(error) || error.message.includes("no such key"))))
        throw error;
    }
    metrics.pending.set(this.last.pending);
    if (this.last.lag !== null) metrics.lag.set(this.last.lag);
    metrics.dlqLength.set(this.last.dlq);
    return this.last;
  }

  async run(ctx: TaskContext, intervalMs: number): Promise<void> {
    while (!ctx.signal.aborted) {
      const state = await this.refresh();
      ctx.progress();
      this.deps.log.info("intent consumer heartbeat", {
        mode: this.deps.cfg.TRADE_INTENT_SAFE_DRAIN ? "SAFE_DRAIN" : "forwarding",
        ...this.deps.processor.totals,
        pending: state.pending,
        lag: state.lag,
        dlqLength: state.dlq,
      });
      await sleep(intervalMs, ctx.signal);
    }
  }
}
