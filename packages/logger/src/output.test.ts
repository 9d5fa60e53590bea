import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { droppedLogLines } from "./output.js";

const tick = () => new Promise((r) => setImmediate(r));

/** A pipe whose reader stops reading (held) or has gone away (broken: every write fails EPIPE, as on stdout). */
class TestPipe extends Writable {
  readonly written: string[] = [];
  private held: (() => void)[] = [];
  private holding = false;
  private broken = false;

  constructor(highWaterMark = 16 * 1024) {
    // stdout cannot be destroyed: each later write fails again.
    super({ highWaterMark, autoDestroy: false, emitClose: false });
  }

  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const done of this.held.splice(0)) done();
  }

  break(): void {
    this.broken = true;
  }

  override _write(chunk: Buffer, _encoding: string, done: (error?: Error) => void): void {
    if (this.broken) {
      done(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      return;
    }
    this.written.push(chunk.toString());
    if (this.holding) this.held.push(done);
    else done();
  }
}

const parsed = (pipe: TestPipe) => pipe.written.map((l) => JSON.parse(l) as Record<string, unknown>);

describe("log output", () => {
  it("F07 an output that fails (EPIPE) is reported once and every later line dropped, even lines a handler logs about it", async () => {
    const pipe = new TestPipe();
    const lost: Error[] = [];
    let attempts = 0;
    pipe.on("error", () => {
      attempts += 1;
    });
    const logger = createLogger({
      service: "svc",
      format: "json",
      stream: pipe,
      onOutputLost: (error) => {
        lost.push(error);
        // What the supervisor's fatal handler does; it used to fail again, for ever.
        logger.error("fatal error", { err: error });
      },
    });
    logger.info("before");
    await tick();
    pipe.break();
    const droppedBefore = droppedLogLines();
    for (let i = 0; i < 100; i += 1) {
      logger.info("after", { i });
      await tick();
    }
    expect(parsed(pipe).map((l) => l.message)).toEqual(["before"]);
    expect(lost.map((e) => e.message)).toEqual(["write EPIPE"]);
    expect(attempts).toBe(1);
    // The line that failed is the stream's; the 99 after it and the handler's line are dropped.
    expect(droppedLogLines() - droppedBefore).toBe(100);
  });

  it("refuses a bound that is not a number of bytes, naming it", () => {
    for (const bound of [Number.NaN, -1])
      expect(() =>
        createLogger({ service: "svc", format: "json", stream: new TestPipe(), maxBufferedBytes: bound }),
      ).toThrow(`maxBufferedBytes must be a number of bytes, 0 or more, got ${bound}`);
  });

  it("F05 an output that stops taking lines holds at most its bound; lines past it are dropped, counted, and said once it drains", async () => {
    const pipe = new TestPipe(1024);
    const logger = createLogger({ service: "svc", format: "json", stream: pipe, maxBufferedBytes: 8 * 1024 });
    pipe.hold();
    const droppedBefore = droppedLogLines();
    const padding = "x".repeat(100);
    for (let i = 0; i < 1000; i += 1) logger.info("tick", { i, padding });
    await tick();
    const lineBytes = pipe.written[0]?.length ?? 0;
    expect(lineBytes).toBeGreaterThan(100);
    // Without the bound all 1,000 lines (about 200 KB) wait in memory.
    expect(pipe.writableLength).toBeLessThanOrEqual(8 * 1024 + lineBytes);
    const dropped = droppedLogLines() - droppedBefore;
    expect(dropped).toBeGreaterThan(900);
    pipe.release();
    await tick();
    const lines = parsed(pipe);
    expect(lines.filter((l) => l.message === "tick")).toHaveLength(1000 - dropped);
    const notice = lines.find((l) => l.message === "log lines dropped: the log output was not taking them");
    expect(notice).toMatchObject({ level: "warn", dropped });
    expect(notice?.blockedMs).toBeGreaterThanOrEqual(0);
    // Taking lines again: nothing more is dropped.
    logger.info("after");
    await tick();
    expect(parsed(pipe).at(-1)?.message).toBe("after");
    expect(droppedLogLines() - droppedBefore).toBe(dropped);
  });
});
