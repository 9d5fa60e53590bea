import type { LogFields, Logger } from "@tradewire/logger";

/** Logs at most once per interval and reports how many lines it suppressed meanwhile. */
export class ThrottledLog {
  private last = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
  ) {}

  warn(message: string, fields: LogFields): void {
    this.log("warn", message, fields);
  }

  error(message: string, fields: LogFields): void {
    this.log("error", message, fields);
  }

  private log(level: "warn" | "error", message: string, fields: LogFields): void {
    const now = Date.now();
    if (now - this.last < this.intervalMs) {
      this.suppressed += 1;
      return;
    }
    this.logger[level](message, { ...fields, suppressedSinceLast: this.suppressed });
    this.last = now;
    this.suppressed = 0;
  }
}
