import type { Redis } from "ioredis";
import type { Config } from "./config.js";
import { fieldsToRecord } from "./decode.js";
import { listConsumers, listGroups } from "./group.js";

/** Operator actions behind `tradewire-intents`, kept apart from printing so they can be tested. */
export class IntentAdmin {
  constructor(
    private readonly redis: Redis,
    private readonly cfg: Config,
  ) {}

  async status() {
    const stream = this.cfg.TRADE_INTENT_STREAM;
    const exists = (await this.redis.exists(stream)) === 1;
    const groups = exists ? await listGroups(this.redis, stream) : [];
    const consumers = await Promise.all(
      groups.map(async (g) => ({
        group: g.name,
        consumers: await listConsumers(this.redis, stream, g.name),
      })),
    );
    return {
      stream,
      length: exists ? await this.redis.xlen(stream) : 0,
      groups,
      consumers,
      dlq: {
        stream: this.cfg.TRADE_INTENT_DLQ_STREAM,
        length: await this.redis.xlen(this.cfg.TRADE_INTENT_DLQ_STREAM),
      },
    };
  }

  async dlqList(count = 100) {
    const rows = await this.redis.xrange(this.cfg.TRADE_INTENT_DLQ_STREAM, "-", "+", "COUNT", count);
    return rows.map(([id, fields]) => ({ id, fields: fieldsToRecord(fields) }));
  }

  /** Re-queues dead-lettered entries (all, or `ids`) into the stream without their dlq_* fields. */
  async dlqReplay(ids?: readonly string[]): Promise<{ replayed: { dlqId: string; newId: string }[] }> {
    const entries = await this.dlqList(10_000);
    const chosen = ids?.length ? entries.filter((e) => ids.includes(e.id)) : entries;
    const missing = ids?.filter((id) => !entries.some((e) => e.id === id)) ?? [];
    if (missing.length) throw new Error(`not in ${this.cfg.TRADE_INTENT_DLQ_STREAM}: ${missing.join(", ")}`);
    const replayed: { dlqId: string; newId: string }[] = [];
    for (const entry of chosen) {
      const original = Object.entries(entry.fields).filter(
        ([k]) => !k.startsWith("dlq_") && k !== "replayed_from",
      );
      // The intent it was: first stored under its source id (replayed before: the one it kept).
      const first = entry.fields.replayed_from ?? entry.fields.dlq_source_id;
      const fields = [...original.flat(), ...(first === undefined ? [] : ["replayed_from", first])];
      // Both or neither: an interrupted replay never leaves the intent in the stream and the DLQ.
      const replies = await this.redis
        .multi()
        .xadd(this.cfg.TRADE_INTENT_STREAM, "*", ...fields)
        .xdel(this.cfg.TRADE_INTENT_DLQ_STREAM, entry.id)
        .exec();
      const failed = replies?.find(([error]) => error !== null)?.[0];
      if (replies === null || failed) throw failed ?? new Error(`replaying ${entry.id} was aborted`);
      replayed.push({ dlqId: entry.id, newId: String(replies[0]?.[1] ?? "") });
    }
    return { replayed };
  }

  /** Writes a valid, fresh test intent (flat fields, as real producers do). */
  async publishTest(symbol = "BTCUSDT"): Promise<string> {
    const fields = {
      symbol,
      side: "BUY",
      confidence: "0.75",
      position_size_usd: "50",
      leverage: "1",
      timestamp: new Date().toISOString(),
      model: "tradewire-intents publish-test",
    };
    return (await this.redis.xadd(this.cfg.TRADE_INTENT_STREAM, "*", ...Object.entries(fields).flat())) ?? "";
  }
}
