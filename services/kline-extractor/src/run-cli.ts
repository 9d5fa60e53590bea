import { ConfigError, type Env, parseConfig } from "@tradewire/config";
import { createLogger, type Logger } from "@tradewire/logger";
import { type CliCommand, parseCli, USAGE, UsageError } from "./args.js";
import { KlineExtractorConfig, SERVICE } from "./config.js";
import { errorText } from "./error-text.js";
import { NatsEventSink } from "./events.js";
import { Extractor, type RunReport } from "./extractor.js";
import { LogProgress, type Progress, TtyProgress } from "./progress.js";
import type { KlineSource } from "./source.js";
import { migrate } from "./storage/migrations.js";
import { databaseAddress, openPool } from "./storage/pool.js";
import { summaryTable } from "./summary.js";
import { connectEvents } from "./wiring.js";

export interface CliIo {
  env: Env;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Builds the exchange source from the config (production: @tradewire/binance). */
  makeSource(config: KlineExtractorConfig, log: Logger): KlineSource;
  signal?: AbortSignal;
  logger?: Logger;
}

export interface CliResult {
  exitCode: number;
  report?: RunReport;
  eventFailures?: number;
}

/** The whole CLI: parse, configure, migrate, extract, publish, summarize. Exit 0 / 1 (a symbol failed) / 2 (usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<CliResult> {
  let command: CliCommand | "help";
  try {
    command = parseCli(argv[0] === "--" ? argv.slice(1) : argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`tradewire-klines: ${error.message}\n\n${USAGE}\n`);
    return { exitCode: 2 };
  }
  if (command === "help") {
    io.stdout.write(`${USAGE}\n`);
    return { exitCode: 0 };
  }
  let config: KlineExtractorConfig;
  try {
    config = parseConfig(SERVICE, KlineExtractorConfig, io.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return { exitCode: 2 };
  }
  const log =
    io.logger ?? createLogger({ service: SERVICE, level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  const pool = openPool({
    url: config.DATABASE_URL,
    max: command.concurrency * 2 + 1,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    log,
  });
  let progress: Progress | undefined;
  let bus: Awaited<ReturnType<typeof connectEvents>>["bus"];
  let source: KlineSource | undefined;
  try {
    try {
      await migrate(pool);
    } catch (error) {
      // Not a crash of the CLI: a database it cannot use, said as such.
      io.stderr.write(
        `cannot use PostgreSQL at ${databaseAddress(config.DATABASE_URL)} (DATABASE_URL): ${errorText(error)}\n`,
      );
      return { exitCode: 1 };
    }
    const events = command.dryRun
      ? { sink: new NatsEventSink(undefined, config.NATS_SUBJECT_PREFIX, log, false), bus: undefined }
      : await connectEvents(config, log, {
          connectTimeoutMs: config.NATS_CONNECT_TIMEOUT_MS,
          signal: io.signal,
        });
    bus = events.bus;
    const tty = "isTTY" in io.stderr && io.stderr.isTTY === true;
    progress = tty && "columns" in io.stderr ? new TtyProgress(io.stderr) : new LogProgress(log);
    source = io.makeSource(config, log);
    const extractor = new Extractor({
      pool,
      source,
      events: events.sink,
      log,
      progress,
      writeBufferRows: config.WRITE_BUFFER_ROWS,
    });
    const report = await extractor.run({ ...command, signal: io.signal });
    progress.close();
    progress = undefined;
    io.stderr.write(summaryTable(report));
    const failed = report.symbols.filter((s) => !s.success).map((s) => s.symbol);
    log.info("extraction run complete", {
      type: report.type,
      interval: report.interval,
      symbols: report.symbols.length,
      failed,
      fetched: report.symbols.reduce((n, s) => n + s.recordsFetched, 0),
      written: report.symbols.reduce((n, s) => n + s.recordsWritten, 0),
      eventFailures: events.sink.failures,
      durationMs: report.durationMs,
    });
    return { exitCode: failed.length > 0 ? 1 : 0, report, eventFailures: events.sink.failures };
  } finally {
    progress?.close();
    await source?.close?.().catch((error: unknown) => log.warn("source close failed", { err: error }));
    await bus?.drain().catch((error: unknown) => log.warn("nats drain failed", { err: error }));
    await pool.end();
  }
}
