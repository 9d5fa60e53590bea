#!/usr/bin/env node
import { parseArgs } from "node:util";
import { loadConfig } from "@tradewire/config";
import { createLogger } from "@tradewire/logger";
import { Redis } from "ioredis";
import { IntentAdmin } from "./admin.js";
import { ConfigSchema } from "./config.js";
import { removeGhosts } from "./ghosts.js";
import { setGroupPosition } from "./group.js";

const USAGE = `tradewire-intents <command>   (configured by the same environment as the service)
  status                          groups, consumers (idle, pending), lag, DLQ length
  cleanup-ghosts [--dry-run]      remove idle consumers with nothing pending
  set-position new|backlog|<id>   move the group's read position
  dlq list                        show dead-lettered entries with their reasons
  dlq replay [--ids a,b]          re-queue (fixed) dead-lettered entries into the stream
  publish-test [--symbol S]       write a valid, fresh test intent`;

function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "(none)";
  const cols = Object.keys(rows[0] ?? {});
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  return [
    line(cols),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map((r) => line(cols.map((c) => String(r[c] ?? "")))),
  ].join("\n");
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      "dry-run": { type: "boolean" },
      ids: { type: "string" },
      symbol: { type: "string" },
      help: { type: "boolean" },
    },
  });
  const [command, sub] = positionals;
  if (!command || values.help) {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const cfg = loadConfig("tradewire-intents", ConfigSchema);
  const redis = new Redis(cfg.REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: true });
  await redis.connect();
  const admin = new IntentAdmin(redis, cfg);
  const out = (text: string) => process.stdout.write(`${text}\n`);
  try {
    switch (command) {
      case "status": {
        const s = await admin.status();
        out(`stream ${s.stream}: ${s.length} entries; DLQ ${s.dlq.stream}: ${s.dlq.length} entries\n`);
        out(
          table(
            s.groups.map((g) => ({
              group: g.name,
              consumers: g.consumers,
              pending: g.pending,
              lag: g.lag ?? "?",
              lastDelivered: g.lastDeliveredId,
            })),
          ),
        );
        for (const g of s.consumers) {
          out(`\nconsumers of ${g.group}:`);
          out(
            table(
              g.consumers.map((c) => ({
                consumer: c.name,
                pending: c.pending,
                idle: `${Math.round(c.idleMs / 1000)} s`,
              })),
            ),
          );
        }
        return 0;
      }
      case "cleanup-ghosts": {
        const logger = createLogger({ service: "tradewire-intents", format: "pretty" });
        const removed = await removeGhosts(redis, cfg, logger, values["dry-run"] === true);
        out(
          `${values["dry-run"] ? "would remove" : "removed"} ${removed.length} ghost consumer(s): ${removed.join(", ") || "-"}`,
        );
        return 0;
      }
      case "set-position": {
        if (!sub) throw new Error("set-position needs new, backlog or an entry id");
        const id = await setGroupPosition(redis, cfg.TRADE_INTENT_STREAM, cfg.TRADE_INTENT_GROUP, sub);
        out(`group ${cfg.TRADE_INTENT_GROUP} now reads after ${id}`);
        return 0;
      }
      case "dlq":
        if (sub === "list") {
          out(
            table(
              (await admin.dlqList()).map((e) => ({
                id: e.id,
                source: e.fields.dlq_source_id,
                deliveries: e.fields.dlq_delivery_count,
                reason: e.fields.dlq_reason,
              })),
            ),
          );
          return 0;
        }
        if (sub === "replay") {
          const ids = values.ids
            ?.split(",")
            .map((s) => s.trim())
            .filter(Boolean);
          const { replayed } = await admin.dlqReplay(ids);
          out(table(replayed));
          return 0;
        }
        throw new Error(`unknown dlq subcommand ${JSON.stringify(sub)}: expected list or replay`);
      case "publish-test":
        out(`test intent written: ${await admin.publishTest(values.symbol)}`);
        return 0;
      default:
        process.stderr.write(`unknown command ${JSON.stringify(command)}\n${USAGE}\n`);
        return 2;
    }
  } finally {
    redis.disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`tradewire-intents: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
