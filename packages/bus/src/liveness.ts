import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "@tradewire/logger";

export interface LivenessOptions {
  /** A ping left unanswered this long makes the server silent (default 3 s). */
  unansweredMs?: number;
  /** How often a ping goes out when none is outstanding (default 0.5 s). */
  everyMs?: number;
}

/**
 * Pings the server (a flush: PING, then its PONG) every `everyMs` and calls it silent when one
 * stays unanswered for `unansweredMs`. A server that hangs, or a partition, keeps the socket open:
 * nats.js calls the connection stale only after `maxPingOut` missed pings of its own (30–40 s),
 * taking core publishes meanwhile and losing them without a word (F17).
 */
export class ServerLiveness {
  private pingedAt: number | undefined;
  private silent = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
    private readonly opts: Required<LivenessOptions> = { unansweredMs: 3_000, everyMs: 500 },
  ) {
    this.timer = setInterval(() => this.tick(), opts.everyMs);
    this.timer.unref();
  }

  /** False from `unansweredMs` after a ping until an answer comes. */
  answering(): boolean {
    return !this.silent;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    if (this.nc.isClosed()) {
      this.stop();
      return;
    }
    const now = Date.now();
    if (this.pingedAt === undefined) {
      this.pingedAt = now;
      // A disconnect rejects every outstanding ping; the status events say that one.
      this.nc.flush().then(
        () => this.answered(),
        () => {
          this.pingedAt = undefined;
        },
      );
      return;
    }
    const waitedMs = now - this.pingedAt;
    if (!this.silent && waitedMs > this.opts.unansweredMs) {
      this.silent = true;
      this.logger.warn(
        "nats server not answering pings: core publishes are refused until it answers (nats.js reconnects once it calls the connection stale)",
        { server: this.nc.getServer(), waitedMs },
      );
    }
  }

  private answered(): void {
    const silentMs = Date.now() - (this.pingedAt ?? Date.now());
    this.pingedAt = undefined;
    if (!this.silent) return;
    this.silent = false;
    this.logger.info("nats server answering again", { server: this.nc.getServer(), silentMs });
  }
}
