import type { Logger } from "@tradewire/logger";
import type { ExtractionType, KlineInterval, Market } from "@tradewire/schemas";
import type { Pool } from "pg";
import { errorText } from "./error-text.js";
import type { EventSink, SymbolOutcome } from "./events.js";
import { formatRange, missingRuns, type OpenRange } from "./gaps.js";
import {
  alignUp,
  candleOpen,
  candlesBetween,
  fixedIntervalMs,
  lastClosedOpen,
  nextOpen,
} from "./intervals.js";
import type { ExtractorMetrics } from "./metrics.js";
import { noProgress, type Progress } from "./progress.js";
import { ExtractionError, type KlineSource } from "./source.js";
import { findGaps, recordUnfillable } from "./storage/gaps.js";
import { lastStoredOpen } from "./storage/reader.js";
import type { KlineRow, SeriesKey } from "./storage/types.js";
import { writeKlines } from "./storage/writer.js";

export type ExtractionMode = "backfill" | "incremental" | "gap-fill";

export interface RunOptions {
  mode: ExtractionMode;
  market: Market;
  interval: KlineInterval;
  symbols: readonly string[];
  /** ms; backfill start, gap-fill range start, incremental start when nothing is stored yet. */
  start?: number;
  /** ms, exclusive (candles opening before it); defaults to after the last closed candle. */
  end?: number;
  concurrency: number;
  /** Plan only: no exchange calls, no writes, no events. */
  dryRun: boolean;
  signal?: AbortSignal;
}

export interface ExtractorDeps {
  pool: Pool;
  source: KlineSource;
  events: EventSink;
  log: Logger;
  progress?: Progress;
  metrics?: ExtractorMetrics;
  now?: () => number;
  /** Rows buffered before a write (bigger batches approach raw COPY speed). */
  writeBufferRows?: number;
}

/** One symbol's outcome plus what a human report needs. */
export interface SymbolReport extends SymbolOutcome {
  expected: number;
  /** Ranges the exchange has no candles for (halts). */
  unfillable: OpenRange[];
  unfillableCandles: number;
}

export interface RunReport {
  type: ExtractionType;
  interval: KlineInterval;
  market: Market;
  dryRun: boolean;
  durationMs: number;
  symbols: SymbolReport[];
}

export const extractionType = (mode: ExtractionMode): ExtractionType =>
  mode === "gap-fill" ? "klines_gap_filling" : "klines";

/** Runs backfill, incremental or gap-fill over symbols with bounded concurrency. */
/** Candles missing at the end of a range before the exchange's silence about them is said. */
const SILENT_TAIL_CANDLES = 5;

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** A difference between this host's clock and the exchange's said at warn past this (ms). */
const CLOCK_DIFFERENCE_SAID_MS = 1_000;

/** A run's options, and the exchange's clock it judges candles closed by. */
type RunWithClock = RunOptions & { exchangeNow: () => number };

export class Extractor {
  private readonly now: () => number;
  private readonly progress: Progress;
  private readonly bufferRows: number;
  /** Series whose exchange serves nothing for the end of their range, said once (see noteSilentTail). */
  private readonly silentTails = new Set<string>();
  /** The clock difference last said at warn, while the clocks differ. */
  private saidOffsetMs: number | undefined;

  constructor(private readonly deps: ExtractorDeps) {
    this.now = deps.now ?? Date.now;
    this.progress = deps.progress ?? noProgress;
    this.bufferRows = deps.writeBufferRows ?? 10_000;
  }

  async run(opts: RunOptions): Promise<RunReport> {
    const started = this.now();
    const type = extractionType(opts.mode);
    const run: RunWithClock = { ...opts, exchangeNow: await this.exchangeClock(opts) };
    const queue = [...opts.symbols];
    const reports = new Map<string, SymbolReport>();
    const worker = async () => {
      for (let symbol = queue.shift(); symbol !== undefined; symbol = queue.shift()) {
        if (opts.signal?.aborted) break;
        const report = await this.runSymbol(symbol, run);
        reports.set(symbol, report);
        this.deps.metrics?.runs.inc({ type, result: report.success ? "success" : "failure" });
        if (!opts.dryRun) this.deps.events.symbolCompleted(type, opts.interval, report);
      }
    };
    const workers = Math.max(1, Math.min(opts.concurrency, opts.symbols.length));
    await Promise.all(Array.from({ length: workers }, worker));
    const symbols = opts.symbols.flatMap((s) => reports.get(s) ?? []);
    const durationMs = this.now() - started;
    if (!opts.dryRun && symbols.length > 1)
      this.deps.events.batchCompleted(type, opts.interval, symbols, durationMs);
    return { type, interval: opts.interval, market: opts.market, dryRun: opts.dryRun, durationMs, symbols };
  }

  /**
   * The exchange's clock for this run (F42): candles are judged closed on it, so a host running
   * ahead of Binance never takes a forming candle for closed. A difference past a second is said at
   * warn when it appears or changes; a clock that cannot be read leaves this host's, said at warn.
   */
  private async exchangeClock(opts: RunOptions): Promise<() => number> {
    const { source, log } = this.deps;
    if (source.exchangeClockOffset === undefined || opts.dryRun) return this.now;
    let offsetMs: number;
    try {
      offsetMs = await source.exchangeClockOffset(opts.market, opts.signal);
    } catch (error) {
      // Stopped while reading it: the run ends at its first check, nothing to say here.
      if (opts.signal?.aborted) return this.now;
      log.warn("Binance's clock could not be read: candles are judged closed on this host's clock", {
        market: opts.market,
        err: error,
      });
      return this.now;
    }
    const said = this.saidOffsetMs;
    if (Math.abs(offsetMs) > CLOCK_DIFFERENCE_SAID_MS) {
      if (said === undefined || Math.abs(offsetMs - said) > CLOCK_DIFFERENCE_SAID_MS) {
        this.saidOffsetMs = offsetMs;
        log.warn("this host's clock differs from Binance's: candles are judged closed on Binance's clock", {
          market: opts.market,
          offsetMs,
        });
      }
    } else if (said !== undefined) {
      this.saidOffsetMs = undefined;
      log.info("this host's clock agrees with Binance's again", { market: opts.market, offsetMs });
    }
    return () => this.now() + offsetMs;
  }

  private async runSymbol(symbol: string, opts: RunWithClock): Promise<SymbolReport> {
    const started = this.now();
    const key: SeriesKey = { market: opts.market, symbol, interval: opts.interval };
    const report: SymbolReport = {
      symbol,
      success: true,
      recordsFetched: 0,
      recordsWritten: 0,
      durationMs: 0,
      gapsFound: 0,
      gapsFilled: 0,
      errors: [],
      expected: 0,
      unfillable: [],
      unfillableCandles: 0,
    };
    const log = this.deps.log.child({ symbol, interval: opts.interval, mode: opts.mode });
    try {
      switch (opts.mode) {
        case "backfill":
        case "incremental":
          await this.fillForward(key, opts, report, log);
          break;
        case "gap-fill":
          await this.fillGaps(key, opts, report, log);
          break;
      }
    } catch (error) {
      report.success = false;
      // First: what ended the run; any after it failed while it ended (a write of what was fetched).
      report.errors.unshift(errorText(error));
      if (opts.signal?.aborted)
        log.warn("symbol extraction stopped before it completed: the next run goes on from what was stored", {
          reason: errorText(error),
          written: report.recordsWritten,
        });
      else log.error("symbol extraction failed", { err: error });
    } finally {
      this.progress.finish(symbol);
    }
    report.durationMs = this.now() - started;
    log.info("symbol extraction done", {
      success: report.success,
      fetched: report.recordsFetched,
      written: report.recordsWritten,
      gapsFound: report.gapsFound,
      gapsFilled: report.gapsFilled,
      unfillable: report.unfillableCandles,
      durationMs: report.durationMs,
    });
    return report;
  }

  /** Backfill and incremental: one contiguous range up to the last CLOSED candle (F42). */
  private async fillForward(key: SeriesKey, opts: RunWithClock, report: SymbolReport, log: Logger) {
    const lastClosed = lastClosedOpen(key.interval, opts.exchangeNow());
    let start: number;
    if (opts.mode === "incremental") {
      const last = await lastStoredOpen(this.deps.pool, key);
      if (last !== undefined) start = nextOpen(key.interval, last);
      else if (opts.start !== undefined) start = alignUp(key.interval, opts.start);
      else
        throw new ExtractionError(
          "UNSUPPORTED",
          `nothing stored for ${key.symbol} ${key.interval}: run backfill first or pass --start`,
          false,
        );
    } else {
      if (opts.start === undefined) throw new ExtractionError("UNSUPPORTED", "backfill needs --start", false);
      start = alignUp(key.interval, opts.start);
    }
    const end = Math.min(
      opts.end === undefined ? lastClosed : candleOpen(key.interval, opts.end - 1),
      lastClosed,
    );
    report.expected = candlesBetween(key.interval, start, end);
    this.progress.start(key.symbol, report.expected);
    if (report.expected === 0) {
      log.info("nothing to extract", { start, end });
      return;
    }
    if (opts.dryRun) {
      log.info("dry run: would extract", {
        from: new Date(start).toISOString(),
        to: new Date(end).toISOString(),
        expected: report.expected,
      });
      return;
    }
    const newest = await this.fetchAndStore(key, { start, end }, opts, report, log);
    const missing =
      newest === undefined
        ? report.expected
        : candlesBetween(key.interval, nextOpen(key.interval, newest), end);
    this.noteSilentTail(key, missing, newest, end, log);
  }

  /**
   * The exchange serving no candles for the last SILENT_TAIL_CANDLES or more of a range: a symbol
   * halted, in BREAK or delisted, whose series would otherwise stop with every run reporting
   * success. Said at warn once per series, and at info once candles come again.
   */
  private noteSilentTail(
    key: SeriesKey,
    missing: number,
    newest: number | undefined,
    end: number,
    log: Logger,
  ): void {
    const series = `${key.market}:${key.symbol}:${key.interval}`;
    if (missing < SILENT_TAIL_CANDLES) {
      if (this.silentTails.delete(series))
        log.info("the exchange serves the symbol's candles again", { newest: iso(newest) });
      return;
    }
    if (this.silentTails.has(series)) return;
    this.silentTails.add(series);
    log.warn("the exchange serves no candles for the end of the range: is the symbol halted or delisted?", {
      missing,
      newestServed: iso(newest) ?? null,
      upTo: iso(end),
    });
  }

  /** Fetches a range page by page and writes it in large batches, overlapping fetch and write. */
  private async fetchAndStore(
    key: SeriesKey,
    range: OpenRange,
    opts: RunWithClock,
    report: SymbolReport,
    log: Logger,
    seen?: number[],
  ): Promise<number | undefined> {
    const metricLabels = { symbol: key.symbol, interval: key.interval };
    let buffer: KlineRow[] = [];
    let pending: Promise<{ ok: true; n: number } | { ok: false; error: unknown }> | undefined;
    const settle = async () => {
      if (pending === undefined) return;
      const result = await pending;
      pending = undefined;
      if (!result.ok)
        throw new ExtractionError("STORAGE_FAILED", "writing klines failed", true, { cause: result.error });
      report.recordsWritten += result.n;
      this.deps.metrics?.written.inc(metricLabels, result.n);
    };
    const flush = async () => {
      await settle();
      if (buffer.length === 0) return;
      const rows = buffer;
      buffer = [];
      pending = writeKlines(this.deps.pool, key, rows).then(
        (n) => ({ ok: true as const, n }),
        (error: unknown) => ({ ok: false as const, error }),
      );
    };
    const nowMs = opts.exchangeNow();
    let maxOpen = 0;
    try {
      for await (const page of this.deps.source.pages({
        market: key.market,
        symbol: key.symbol,
        interval: key.interval,
        startTime: range.start,
        endTime: range.end,
        signal: opts.signal,
      })) {
        // F42: only candles inside the range and already closed are kept.
        const closed = page.filter(
          (r) => r.openTime >= range.start && r.openTime <= range.end && r.closeTime < nowMs,
        );
        report.recordsFetched += closed.length;
        this.deps.metrics?.fetched.inc(metricLabels, closed.length);
        this.progress.advance(key.symbol, closed.length);
        for (const r of closed) {
          buffer.push(r);
          if (r.openTime > maxOpen) maxOpen = r.openTime;
          seen?.push(r.openTime);
        }
        if (buffer.length >= this.bufferRows) await flush();
      }
      // A source that ends quietly at a stop has not said the exchange has nothing more.
      opts.signal?.throwIfAborted();
      await flush();
    } catch (error) {
      // Fetched before a stop or a failed page, and good: written now, not fetched again next run.
      // Should that write fail too, it is said and reported beside the error that ended the run.
      await flush()
        .then(settle)
        .catch((writeError: unknown) => {
          report.errors.push(errorText(writeError));
          log.error(
            "klines fetched before the failure could not be written; the next run fetches them again",
            {
              err: writeError,
            },
          );
        });
      throw error;
    } finally {
      await settle();
    }
    if (maxOpen > 0 && seen === undefined) this.deps.metrics?.lastStored.set(metricLabels, maxOpen);
    return maxOpen > 0 ? maxOpen : undefined;
  }

  /** Gap-fill: one SQL query for the gaps, fetch only those, report what the exchange lacks. */
  private async fillGaps(key: SeriesKey, opts: RunWithClock, report: SymbolReport, log: Logger) {
    const stepMs = fixedIntervalMs(key.interval);
    if (stepMs === undefined)
      throw new ExtractionError("UNSUPPORTED", "gap-fill needs a fixed-size interval (not 1M)", false);
    const lastClosed = lastClosedOpen(key.interval, opts.exchangeNow());
    const start = opts.start === undefined ? undefined : alignUp(key.interval, opts.start);
    const end =
      opts.end === undefined ? undefined : Math.min(candleOpen(key.interval, opts.end - 1), lastClosed);
    const gaps = await findGaps(this.deps.pool, key, { stepMs, start, end });
    report.gapsFound = gaps.reduce((n, g) => n + g.missing, 0);
    report.expected = report.gapsFound;
    this.progress.start(key.symbol, report.expected);
    log.info("gaps found", { gaps: gaps.length, missing: report.gapsFound });
    for (const gap of gaps) {
      opts.signal?.throwIfAborted();
      if (gap.knownUnfillable) {
        this.addUnfillable(key, report, [gap], stepMs, log, true);
        continue;
      }
      if (opts.dryRun) continue;
      const seen: number[] = [];
      const before = report.recordsWritten;
      await this.fetchAndStore(key, gap, opts, report, log, seen);
      report.gapsFilled += report.recordsWritten - before;
      const still = missingRuns(gap, seen, stepMs);
      if (still.length > 0) {
        for (const run of still) await recordUnfillable(this.deps.pool, key, run.start, run.end);
        this.addUnfillable(key, report, still, stepMs, log, false);
      }
    }
  }

  private addUnfillable(
    key: SeriesKey,
    report: SymbolReport,
    runs: readonly OpenRange[],
    stepMs: number,
    log: Logger,
    known: boolean,
  ): void {
    for (const run of runs) {
      const candles = Math.floor((run.end - run.start) / stepMs) + 1;
      report.unfillable.push({ start: run.start, end: run.end });
      report.unfillableCandles += candles;
      this.progress.advance(key.symbol, candles);
      this.deps.metrics?.unfillable.inc({ symbol: key.symbol, interval: key.interval }, candles);
      log.warn("gap unfillable: the exchange has no candles here", {
        range: formatRange(run),
        candles,
        known,
      });
    }
  }
}
