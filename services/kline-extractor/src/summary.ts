import type { RunReport } from "./extractor.js";
import { formatRange } from "./gaps.js";
import { table } from "./progress.js";

/** The final human summary: one row per symbol, then the unfillable gaps and errors. */
export function summaryTable(report: RunReport): string {
  const gapFill = report.type === "klines_gap_filling";
  const header = gapFill
    ? ["symbol", "status", "gaps found", "filled", "unfillable", "fetched", "written", "seconds"]
    : ["symbol", "status", "expected", "fetched", "written", "seconds", "rate/s"];
  const rows = report.symbols.map((s) => {
    const status = s.success ? (report.dryRun ? "dry-run" : "ok") : "FAILED";
    const secs = (s.durationMs / 1000).toFixed(1);
    return gapFill
      ? [
          s.symbol,
          status,
          String(s.gapsFound),
          String(s.gapsFilled),
          String(s.unfillableCandles),
          String(s.recordsFetched),
          String(s.recordsWritten),
          secs,
        ]
      : [
          s.symbol,
          status,
          String(s.expected),
          String(s.recordsFetched),
          String(s.recordsWritten),
          secs,
          String(Math.round(s.recordsFetched / Math.max(0.001, s.durationMs / 1000))),
        ];
  });
  const lines = [
    `${report.type} ${report.market} ${report.interval}: ${report.symbols.length} symbol(s) in ${(report.durationMs / 1000).toFixed(1)}s`,
    table(header, rows),
  ];
  for (const s of report.symbols) {
    for (const gap of s.unfillable) lines.push(`unfillable ${s.symbol}: ${formatRange(gap)}`);
    for (const error of s.errors) lines.push(`error ${s.symbol}: ${error}`);
  }
  return `${lines.join("\n")}\n`;
}
