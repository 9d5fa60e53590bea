import { PassThrough } from "node:stream";
import { createLogger, type Logger, type LogLevel } from "./logger.js";

export interface CapturedLine {
  level: string;
  message: string;
  service: string;
  timestamp: string;
  [field: string]: unknown;
}

export interface CapturingLogger {
  logger: Logger;
  /** Every JSON line written so far, parsed. */
  lines(): CapturedLine[];
  /** Lines whose message equals `message`. */
  find(message: string): CapturedLine[];
}

/** A real JSON logger whose output is kept in memory, so tests can assert what operators would see. */
export function captureLogger(service = "test", level: LogLevel = "debug"): CapturingLogger {
  const stream = new PassThrough();
  const captured: CapturedLine[] = [];
  let buffer = "";
  stream.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.trim()) captured.push(JSON.parse(line) as CapturedLine);
      newline = buffer.indexOf("\n");
    }
  });
  const logger = createLogger({ service, level, format: "json", stream });
  return { logger, lines: () => captured, find: (message) => captured.filter((l) => l.message === message) };
}
