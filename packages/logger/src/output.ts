import type { Writable } from "node:stream";
import Transport from "winston-transport";

/** Where winston keeps a formatted line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for("message");

let droppedInProcess = 0;

/** Lines this process's loggers dropped because their output was blocked or gone; for /metrics. */
export function droppedLogLines(): number {
  return droppedInProcess;
}

export interface GuardedOutputOptions {
  stream: Writable;
  /** Bytes the stream may hold unwritten before lines are dropped; at least its highWaterMark. */
  maxBufferedBytes: number;
  /** The stream failed (EPIPE: the reader of a pipe went away). Called once; later lines are dropped. */
  onLost: (error: Error) => void;
  /** The stream took lines again after `dropped` were dropped over `blockedMs`. */
  onResumed: (dropped: number, blockedMs: number) => void;
}

/**
 * Writes formatted lines to a stream, bounded. winston's own Stream transport writes every line at
 * once and never waits, so an output that stops taking lines held them all in memory (a reader that
 * stalls: gigabytes), and one that fails raised an error on every later line; a handler that logs
 * that error failed again, in a loop that starved the event loop, so no timer and no SIGTERM handler
 * ran (F05, F07). Here a blocked stream drops lines, counted, until it drains; a failed one is
 * reported once and drops every later line.
 */
export class GuardedOutput extends Transport {
  private lost = false;
  private dropped = 0;
  private blockedSince: number | undefined;
  private readonly maxBufferedBytes: number;

  constructor(private readonly options: GuardedOutputOptions) {
    super();
    const { stream } = options;
    if (!(options.maxBufferedBytes >= 0))
      throw new Error(
        `maxBufferedBytes must be a number of bytes, 0 or more, got ${options.maxBufferedBytes}`,
      );
    // 'drain' only follows a write the stream refused, so the bound must be past that point.
    this.maxBufferedBytes = Math.max(options.maxBufferedBytes, stream.writableHighWaterMark);
    stream.on("error", (error: Error) => this.fail(error));
    stream.on("drain", () => this.resume());
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const { stream } = this.options;
    if (!this.lost && this.blockedSince === undefined && stream.writableLength >= this.maxBufferedBytes) {
      this.blockedSince = Date.now();
    }
    if (this.lost || this.blockedSince !== undefined) {
      this.dropped += 1;
      droppedInProcess += 1;
    } else {
      stream.write(`${String(info[MESSAGE])}\n`);
    }
    next();
  }

  private fail(error: Error): void {
    if (this.lost) return;
    this.lost = true;
    this.options.onLost(error);
  }

  private resume(): void {
    if (this.lost || this.blockedSince === undefined) return;
    const dropped = this.dropped;
    const blockedMs = Date.now() - this.blockedSince;
    this.dropped = 0;
    this.blockedSince = undefined;
    this.options.onResumed(dropped, blockedMs);
  }
}
