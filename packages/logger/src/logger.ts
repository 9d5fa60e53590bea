import { writeSync } from "node:fs";
import { hostname } from "node:os";
import type { Writable } from "node:stream";
import winston from "winston";
import { GuardedOutput } from "./output.js";
import { REDACTED, redactValue } from "./redact.js";

export type LogLevel = "error" | "warn" | "info" | "debug";
export type LogFormat = "json" | "pretty";
export type LogFields = Record<string, unknown>;

/** The logging surface services use: a constant message plus structured fields. */
export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  child(context: LogFields): Logger;
  isLevelEnabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** json when not on a TTY, pretty on a TTY, unless given. */
  format?: LogFormat;
  /** Where lines go; defaults to stdout. */
  stream?: Writable;
  /** Unwritten bytes the stream may hold before lines are dropped, counted (default 8 MiB). */
  maxBufferedBytes?: number;
  /**
   * The stream failed: a pipe whose reader went away (EPIPE). By default this is said on stderr and
   * the error raised once as uncaught, as Node does for a broken stdout, so the supervisor stops the
   * service and exits 1 rather than run blind.
   */
  onOutputLost?: (error: Error) => void;
}

const RESERVED = new Set(["level", "message", "timestamp", "service"]);

/** Moves every field through the redactor; nothing reaches a transport unredacted. */
const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (RESERVED.has(key)) continue;
    info[key] = /(api[-_]?key|secret|signature|password|token|authorization)/i.test(key)
      ? REDACTED
      : redactValue(info[key]);
  }
  if (typeof info.message === "string") info.message = redactValue(info.message) as string;
  return info;
});

const COLORS: Record<string, string> = {
  error: "\x1b[31m",
  warn: "\x1b[33m",
  info: "\x1b[36m",
  debug: "\x1b[90m",
};

function formatValue(value: unknown): string {
  if (typeof value === "string") return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

const prettyFormat = winston.format.printf((info) => {
  const { level, message, timestamp, service, component, stack: _s, host: _h, pid: _p, ...fields } = info;
  const time = String(timestamp).slice(11, 23);
  const color = COLORS[level] ?? "";
  const where = component ? `${String(service)}/${String(component)}` : String(service);
  const rest = Object.entries(fields)
    .filter(([k]) => typeof k === "string")
    .map(([k, v]) => {
      const err = v as { stack?: unknown } | undefined;
      if (err && typeof err === "object" && typeof err.stack === "string") return `${k}=\n${err.stack}`;
      return `${k}=${formatValue(v)}`;
    })
    .join(" ");
  return `${time} ${color}${level.toUpperCase().padEnd(5)}\x1b[0m ${where} ${String(message)}${rest ? ` ${rest}` : ""}`;
});

function wrap(inner: winston.Logger): Logger {
  // winston formats every line (timestamp, redaction, JSON) before its transport drops a disabled
  // level; asking first makes a disabled debug or info line nearly free.
  const at = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (inner.isLevelEnabled(level)) inner.log(level, message, fields ?? {});
  };
  return {
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    child: (context) => wrap(inner.child(context)),
    isLevelEnabled: (level) => inner.isLevelEnabled(level),
  };
}

/**
 * Builds the one root logger of a process. Every line carries time, level, service and message,
 * plus the structured fields given as an object; secrets are redacted wherever they appear.
 */
export function createLogger(options: LoggerOptions): Logger {
  const stream = options.stream ?? process.stdout;
  const isTty = (stream as NodeJS.WriteStream).isTTY === true;
  const output = new GuardedOutput({
    stream,
    maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024,
    onLost: options.onOutputLost ?? raiseLostOutput(options.service),
    onResumed: (dropped, blockedMs) =>
      inner.warn("log lines dropped: the log output was not taking them", { dropped, blockedMs }),
  });
  const format = options.format ?? (isTty ? "pretty" : "json");
  const inner = winston.createLogger({
    level: options.level ?? "info",
    defaultMeta: { service: options.service, host: hostname(), pid: process.pid },
    format: winston.format.combine(
      winston.format.timestamp(),
      redactFormat(),
      format === "json" ? winston.format.json() : prettyFormat,
    ),
    transports: [output],
  });
  return wrap(inner);
}

function raiseLostOutput(service: string): (error: Error) => void {
  return (error) => {
    try {
      writeSync(2, `${service}: log output lost (${error.message}); stopping\n`);
    } catch {
      // stderr is gone too (often the same pipe): the exit code is all that is left to tell.
    }
    // Before a supervisor handles fatal errors (a service still starting), Node's own handling
    // would add a stack trace about a pipe to that line: the exit code says the rest.
    if (process.listenerCount("uncaughtException") === 0) process.exit(1);
    process.nextTick(() => {
      throw new Error(`log output lost: ${error.message}`, { cause: error });
    });
  };
}

/** A logger that drops everything; for pure-logic unit tests only. */
export function createSilentLogger(): Logger {
  const silent: Logger = {
    error: () => {},
    warn: () => {},
    info: () => {},
    debug: () => {},
    child: () => silent,
    isLevelEnabled: () => false,
  };
  return silent;
}
