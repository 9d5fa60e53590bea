import type { LogFields, Logger, LogLevel } from "@tradewire/logger";

type Level = "error" | "warn" | "info" | "debug";
type Line = { level: Level; message: string; fields: LogFields | undefined } | { run: () => void };

/**
 * A logger whose lines wait for `flush`: a batch's lifecycle lines (RECEIVED … FILLED) are written
 * once its decisions are committed, like its order events, and dropped with them if it rolls back,
 * so the log never tells of a fill that did not happen. Metrics counted through `defer` likewise.
 */
export class DeferredLog implements Logger {
  private readonly lines: Line[] = [];

  constructor(
    private readonly target: Logger,
    private readonly context: LogFields = {},
    /** Shared with children, so one flush writes the lines of all in order. */
    private readonly shared: Line[] | undefined = undefined,
  ) {}

  private get buffer(): Line[] {
    return this.shared ?? this.lines;
  }

  private add(level: Level, message: string, fields?: LogFields): void {
    if (!this.target.isLevelEnabled(level)) return;
    this.buffer.push({ level, message, fields: { ...this.context, ...fields } });
  }

  error(message: string, fields?: LogFields): void {
    this.add("error", message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.add("warn", message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.add("info", message, fields);
  }

  debug(message: string, fields?: LogFields): void {
    this.add("debug", message, fields);
  }

  child(context: LogFields): Logger {
    return new DeferredLog(this.target, { ...this.context, ...context }, this.buffer);
  }

  isLevelEnabled(level: LogLevel): boolean {
    return this.target.isLevelEnabled(level);
  }

  /** Holds `fn` (a metric's count) in line with the lines: run at `flush`, dropped with them. */
  defer(fn: () => void): void {
    this.buffer.push({ run: fn });
  }

  /** Writes every line held, and runs what was deferred, in order. */
  flush(): void {
    for (const line of this.buffer.splice(0)) {
      if ("run" in line) line.run();
      else this.target[line.level](line.message, line.fields);
    }
  }
}
