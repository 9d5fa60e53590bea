import { parseArgs } from "node:util";
import { KLINE_INTERVALS, type KlineInterval, type Market, parseTimestampMs } from "@tradewire/schemas";
import type { ExtractionMode } from "./extractor.js";

/** A bad command line: names the flag and the value. Exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly code = "USAGE" as const;
  readonly retryable = false;
}

export interface CliCommand {
  mode: ExtractionMode;
  symbols: string[];
  interval: KlineInterval;
  market: Market;
  start: number | undefined;
  /** Exclusive. */
  end: number | undefined;
  concurrency: number;
  dryRun: boolean;
}

export const USAGE = `usage: tradewire-klines <backfill|incremental|gap-fill> --symbols BTCUSDT,ETHUSDT --interval 5m [options]

  backfill      --start DATE [--end DATE]   fetch and store a range (end exclusive, default: now)
  incremental   [--start DATE]              from the last stored candle to the last CLOSED one
  gap-fill      [--start DATE --end DATE]   find missing candles in the stored range and fetch them

options:
  --symbols LIST        comma-separated symbols (required)
  --interval, --period  kline interval: ${KLINE_INTERVALS.join(", ")} (required)
  --market              spot | futures (default spot)
  --start, --end        YYYY-MM-DD, ISO-8601 time (UTC unless zoned) or epoch s/ms
  --concurrency N       symbols processed at once (default 2)
  --dry-run             plan only: no exchange calls, no writes, no events
  -h, --help            this text`;

const MODES: readonly ExtractionMode[] = ["backfill", "incremental", "gap-fill"];
const SYMBOL = /^[A-Z0-9]{2,30}$/;

function time(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseTimestampMs(value);
  if (ms === undefined)
    throw new UsageError(
      `--${flag}: cannot read ${JSON.stringify(value)} as a date (YYYY-MM-DD, ISO-8601 or epoch)`,
    );
  return ms;
}

/** Parses argv (without node and script); `help` when -h/--help or no command is given. */
export function parseCli(argv: readonly string[]): CliCommand | "help" {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return "help";
  const [command, ...extra] = positionals;
  const mode = MODES.find((m) => m === command);
  if (mode === undefined)
    throw new UsageError(`unknown command ${JSON.stringify(command)}: expected one of ${MODES.join(", ")}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);

  if (values.interval !== undefined && values.period !== undefined && values.interval !== values.period)
    throw new UsageError(`--interval ${values.interval} and --period ${values.period} disagree`);
  const intervalText = values.interval ?? values.period;
  if (intervalText === undefined) throw new UsageError("--interval (or --period) is required");
  const interval = KLINE_INTERVALS.find((i) => i === intervalText);
  if (interval === undefined)
    throw new UsageError(
      `--interval: ${JSON.stringify(intervalText)} is not one of ${KLINE_INTERVALS.join(", ")}`,
    );

  if (values.symbols === undefined)
    throw new UsageError("--symbols is required (e.g. --symbols BTCUSDT,ETHUSDT)");
  const symbols = [
    ...new Set(
      values.symbols
        .split(",")
        .map((s) => s.trim().toUpperCase())
        .filter(Boolean),
    ),
  ];
  if (symbols.length === 0)
    throw new UsageError(`--symbols: ${JSON.stringify(values.symbols)} names no symbol`);
  const bad = symbols.find((s) => !SYMBOL.test(s));
  if (bad !== undefined)
    throw new UsageError(`--symbols: ${JSON.stringify(bad)} is not a symbol such as BTCUSDT`);

  const market = values.market ?? "spot";
  if (market !== "spot" && market !== "futures")
    throw new UsageError(`--market: ${JSON.stringify(market)} is not spot or futures`);

  const concurrencyText = values.concurrency ?? "2";
  const concurrency = Number(concurrencyText);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new UsageError(`--concurrency: ${JSON.stringify(concurrencyText)} is not an integer from 1 to 64`);

  const start = time("start", values.start);
  const end = time("end", values.end);
  if (mode === "backfill" && start === undefined) throw new UsageError("backfill needs --start");
  if (start !== undefined && end !== undefined && end <= start)
    throw new UsageError(`--end ${values.end} is not after --start ${values.start}`);

  return { mode, symbols, interval, market, start, end, concurrency, dryRun: values["dry-run"] ?? false };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      symbols: { type: "string" },
      interval: { type: "string" },
      period: { type: "string" },
      market: { type: "string" },
      start: { type: "string" },
      end: { type: "string" },
      concurrency: { type: "string" },
      "dry-run": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
