import type { Logger } from "@tradewire/logger";

export interface PingWatchOptions {
  /** The server, as `silence()` names it: `<name> not answering pings`. */
  name: string;
  /** One round trip to the server (a PING); rejects when the connection is gone. */
  ping: () => Promise<unknown>;
  /** True once the connection is closed for good: the watch stops. */
  closed?: () => boolean;
  logger: Logger;
  /** Said at warn when a ping has gone unanswered for `unansweredMs`, with `waitedMs`. */
  silentMessage: string;
  /** Said at info once an answer comes again, with `silentMs`. */
  answeringMessage: string;
  /** Fields for both lines (which server). */
  fields?: () => Record<string, unknown>;
  /** Default 3 s. */
  unansweredMs?: number;
  /** How often a ping goes out when none is outstanding (default 0.5 s). */
  everyMs?: number;
}

/**
 * Pings a server every `everyMs` and calls it silent once a ping stays unanswered for
 * `unansweredMs`. A server that hangs, or a partition, keeps the socket open: clients notice only
 * when their own keepalives give up (NATS: 30–40 s) or never (a Redis command waits for ever),
 * while the service looks ready and its work waits, or is lost, without a word.
 */
export class PingWatch {
  private pingedAt: number | undefined;
  private silent = false;
  private readonly timer: NodeJS.Timeout;
  private readonly unansweredMs: number;

  constructor(private readonly opts: PingWatchOptions) {
    this.unansweredMs = positiveMs("unansweredMs", opts.unansweredMs ?? 3_000);
    this.timer = setInterval(() => this.tick(), positiveMs("everyMs", opts.everyMs ?? 500));
    this.timer.unref();
  }

  /** False from `unansweredMs` after a ping until an answer comes. */
  answering(): boolean {
    return !this.silent;
  }

  /** What holds work back while the server is silent (a task's `pausedBy`); undefined while it answers. */
  silence(): string | undefined {
    return this.silent ? `${this.opts.name} not answering pings` : undefined;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    if (this.opts.closed?.() === true) {
      this.stop();
      return;
    }
    const now = Date.now();
    if (this.pingedAt === undefined) {
      this.pingedAt = now;
      // A ping that fails (the connection gone) proves nothing either way: the next one is asked.
      // Through a promise even if `ping` throws at once, which would otherwise escape the timer.
      new Promise((resolve) => resolve(this.opts.ping())).then(
        () => this.answered(),
        () => {
          this.pingedAt = undefined;
        },
      );
      return;
    }
    const waitedMs = now - this.pingedAt;
    if (!this.silent && waitedMs > this.unansweredMs) {
      this.silent = true;
      this.opts.logger.warn(this.opts.silentMessage, { ...this.opts.fields?.(), waitedMs });
    }
  }

  private answered(): void {
    const silentMs = Date.now() - (this.pingedAt ?? Date.now());
    this.pingedAt = undefined;
    if (!this.silent) return;
    this.silent = false;
    this.opts.logger.info(this.opts.answeringMessage, { ...this.opts.fields?.(), silentMs });
  }
}

/** A NaN or negative bound would never call a silent server silent: refused, naming it. */
function positiveMs(name: string, ms: number): number {
  if (!(Number.isFinite(ms) && ms > 0))
    throw new RangeError(`PingWatch ${name} must be a positive number of milliseconds, got ${ms}`);
  return ms;
}
