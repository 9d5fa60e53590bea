import type { Logger } from "@tradewire/logger";

/** Per-symbol progress of a long run. */
export interface Progress {
  start(symbol: string, expected: number): void;
  advance(symbol: string, candles: number): void;
  finish(symbol: string): void;
  close(): void;
}

interface SymbolState {
  symbol: string;
  expected: number;
  done: number;
  startedAt: number;
  finished: boolean;
}

/** Rate (candles/s) and ETA (s) of one symbol at `now`. */
export function rateAndEta(s: { expected: number; done: number; startedAt: number }, now: number) {
  const elapsedS = Math.max(0.001, (now - s.startedAt) / 1000);
  const rate = s.done / elapsedS;
  const left = Math.max(0, s.expected - s.done);
  return { rate, etaS: rate > 0 ? left / rate : undefined };
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** One bar line: `BTCUSDT [#####.....]  50.0%  33043/66087  12000/s  ETA 3s`. */
export function barLine(s: SymbolState, now: number, width = 24): string {
  const frac = s.expected > 0 ? Math.min(1, s.done / s.expected) : 1;
  const filled = Math.round(frac * width);
  const { rate, etaS } = rateAndEta(s, now);
  return `${s.symbol.padEnd(12)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${(frac * 100)
    .toFixed(1)
    .padStart(
      5,
    )}%  ${s.done}/${s.expected}  ${Math.round(rate)}/s  ETA ${s.finished ? "done" : formatDuration(etaS)}`;
}

abstract class BaseProgress implements Progress {
  protected readonly symbols = new Map<string, SymbolState>();
  start(symbol: string, expected: number): void {
    this.symbols.set(symbol, { symbol, expected, done: 0, startedAt: Date.now(), finished: false });
  }
  advance(symbol: string, candles: number): void {
    const s = this.symbols.get(symbol);
    if (s) s.done += candles;
  }
  finish(symbol: string): void {
    const s = this.symbols.get(symbol);
    if (s) s.finished = true;
  }
  abstract close(): void;
}

/** A redrawn block of bars on a TTY (stderr), at most 10 redraws a second. */
export class TtyProgress extends BaseProgress {
  private lines = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly out: NodeJS.WriteStream) {
    super();
    this.timer = setInterval(() => this.draw(), 100);
    this.timer.unref();
  }
  private draw(): void {
    const now = Date.now();
    if (this.lines > 0) this.out.write(`\x1b[${this.lines}A`);
    const rows = [...this.symbols.values()].map((s) => `\x1b[2K${barLine(s, now)}\n`);
    this.out.write(rows.join(""));
    this.lines = rows.length;
  }
  override close(): void {
    clearInterval(this.timer);
    this.draw();
  }
}

/** Periodic info lines (not a TTY: containers, CI). */
export class LogProgress extends BaseProgress {
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly log: Logger,
    intervalMs = 5_000,
  ) {
    super();
    this.timer = setInterval(() => this.report(), intervalMs);
    this.timer.unref();
  }
  private report(): void {
    const now = Date.now();
    for (const s of this.symbols.values()) {
      if (s.finished) continue;
      const { rate, etaS } = rateAndEta(s, now);
      this.log.info("extraction progress", {
        symbol: s.symbol,
        done: s.done,
        expected: s.expected,
        ratePerS: Math.round(rate),
        eta: formatDuration(etaS),
      });
    }
  }
  override close(): void {
    clearInterval(this.timer);
  }
}

export const noProgress: Progress = {
  start: () => {},
  advance: () => {},
  finish: () => {},
  close: () => {},
};

/** A fixed-width text table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
