import type { LogFields, Logger, LogLevel } from "@tradewire/logger";

type Line = { level: "error" | "warn" | "info" | "debug"; message: string; fields: LogFields | undefined };

/**
 * A logger whose lines wait for `flush`: a batch's lifecycle lines (RECEIVED … FILLED) are written
 * once its decisions are committed, like its order events, and dropped with them if it rolls back,
 * so the log never tells of a fill that did not happen.
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

  private add(level: Line["level"], message: string, fields?: LogFields): void {
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

  /** Writes every line held, in order. */
  flush(): void {
    for (const { level, message, fields } of this.buffer.splice(0)) this.target[level](message, fields);
  }
}
