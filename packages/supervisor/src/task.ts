import type { Logger } from "@tradewire/logger";
import { type BackoffOptions, backoffDelay, sleep } from "./backoff.js";

export type TaskState = "starting" | "running" | "backoff" | "stalled" | "stopped" | "failed";

/** What a task receives: its stop signal, its logger and its progress reporting. */
export interface TaskContext {
  /** Aborted when the task must stop (shutdown, or a stall restart). */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Records liveness; call once per loop iteration even when idle. Optionally sets counters. */
  progress(counters?: Readonly<Record<string, number>>): void;
  /** Adds `n` to a counter and records progress. */
  count(counter: string, n?: number): void;
  /**
   * Sets a reported value (a consumer's pending messages, whether it is connected), shown in the
   * heartbeat and /metrics. Not progress: a status check proves nothing about the work.
   */
  gauge(name: string, value: number): void;
}

export interface TaskSpec {
  name: string;
  run(ctx: TaskContext): Promise<void>;
  /** "service" tasks must run until stopped: a return is unexpected and restarted. "oneshot" tasks may finish. */
  kind?: "service" | "oneshot";
  /** A task with no progress for this long is logged as stalled and restarted. */
  stallTimeoutMs?: number;
  /**
   * What holds the task back that no restart would help (an exchange's ban on this IP), if
   * anything: while it names something the task is not stalled (its deadline runs again from the
   * end of it), and the heartbeat says what it waits on.
   */
  pausedBy?: () => string | undefined;
  /** Counts for /ready (default true). */
  required?: boolean;
}

export interface TaskPolicy {
  backoff: BackoffOptions;
  maxRestarts: number;
  restartWindowMs: number;
  /** How long a task gets to exit after its signal aborts. */
  stopTimeoutMs: number;
}

export interface TaskSnapshot {
  name: string;
  state: TaskState;
  restarts: number;
  lastProgressAgeMs: number;
  counters: Record<string, number>;
  gauges: Record<string, number>;
  required: boolean;
  /** What holds it back, while something does (see TaskSpec.pausedBy). */
  pausedBy?: string;
}

/** Runs one task: keeps its promise, restarts it with backoff, watches it for stalls. */
export class SupervisedTask {
  state: TaskState = "starting";
  restarts = 0;
  private lastProgress = Date.now();
  /** When a pause (TaskSpec.pausedBy) was last seen, and what it was, while it lasts. */
  private pausedAt = 0;
  private pause: string | undefined;
  private stalled = false;
  private readonly counters: Record<string, number> = {};
  private readonly gauges: Record<string, number> = {};
  /** The counters at the last heartbeat, for what each added since. */
  private counted: Record<string, number> = {};
  private readonly recentCrashes: number[] = [];
  private controller = new AbortController();
  private readonly stopping = new AbortController();
  private current: Promise<void> | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    readonly spec: TaskSpec,
    private readonly policy: TaskPolicy,
    private readonly log: Logger,
    private readonly onGiveUp: (task: SupervisedTask, reason: string) => void,
  ) {}

  get required(): boolean {
    return this.spec.required ?? true;
  }

  start(): void {
    this.loop = this.superviseLoop();
  }

  snapshot(): TaskSnapshot {
    return {
      name: this.spec.name,
      state: this.state,
      restarts: this.restarts,
      lastProgressAgeMs: Date.now() - this.lastProgress,
      counters: { ...this.counters },
      gauges: { ...this.gauges },
      required: this.required,
      ...(this.pause === undefined ? {} : { pausedBy: this.pause }),
    };
  }

  /** What each counter added since the previous call (the heartbeat's "since last beat"). */
  sinceLastBeat(): Record<string, number> {
    const since = Object.fromEntries(
      Object.entries(this.counters).map(([name, n]) => [name, n - (this.counted[name] ?? 0)]),
    );
    this.counted = { ...this.counters };
    return since;
  }

  /** Called by the watchdog: restarts a task whose progress is older than its deadline. */
  checkStall(now: number): void {
    const deadline = this.spec.stallTimeoutMs;
    if (deadline === undefined || this.state !== "running") return;
    if (this.paused(now)) return;
    const age = now - Math.max(this.lastProgress, this.pausedAt);
    if (age <= deadline) return;
    this.state = "stalled";
    this.stalled = true;
    this.log.error("task stalled", {
      task: this.spec.name,
      lastProgressAgeMs: age,
      stallTimeoutMs: deadline,
    });
    this.controller.abort(new Error(`stalled: no progress for ${age} ms`));
  }

  /** Whether something no restart helps holds the task back now; its start and end are said. */
  private paused(now: number): boolean {
    const pause = this.spec.pausedBy?.();
    if (pause !== undefined) {
      if (this.pause === undefined)
        this.log.warn("task held back by what no restart helps; not counted as a stall", {
          task: this.spec.name,
          pausedBy: pause,
        });
      this.pause = pause;
      this.pausedAt = now;
      return true;
    }
    if (this.pause !== undefined) {
      this.log.info("task no longer held back", { task: this.spec.name, was: this.pause });
      this.pause = undefined;
    }
    return false;
  }

  async stop(): Promise<boolean> {
    this.stopping.abort();
    this.controller.abort(new Error("shutdown"));
    if (!this.loop) return true;
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      this.loop.then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), this.policy.stopTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!stopped)
      this.log.error("task did not stop in time", {
        task: this.spec.name,
        timeoutMs: this.policy.stopTimeoutMs,
      });
    return stopped;
  }

  private context(signal: AbortSignal): TaskContext {
    return {
      signal,
      log: this.log.child({ task: this.spec.name }),
      progress: (counters) => {
        this.lastProgress = Date.now();
        if (counters) Object.assign(this.counters, counters);
      },
      count: (counter, n = 1) => {
        this.lastProgress = Date.now();
        this.counters[counter] = (this.counters[counter] ?? 0) + n;
      },
      gauge: (name, value) => {
        this.gauges[name] = value;
      },
    };
  }

  private async superviseLoop(): Promise<void> {
    const { name } = this.spec;
    let attempt = 0;
    while (!this.stopping.signal.aborted) {
      this.controller = new AbortController();
      this.state = "running";
      this.stalled = false;
      this.lastProgress = Date.now();
      this.log.info("task started", { task: name, attempt: attempt + 1 });
      const outcome = await this.runOnce();
      if (this.stopping.signal.aborted) break;
      if (outcome.ok && this.spec.kind === "oneshot") {
        this.log.info("task finished", { task: name });
        this.state = "stopped";
        return;
      }
      const reason = outcome.ok
        ? this.stalled
          ? "stalled"
          : "exited while the service was running"
        : "crashed";
      if (outcome.ok) this.log.warn("task exited unexpectedly", { task: name, reason });
      else this.log.error("task crashed", { task: name, err: outcome.error });
      if (this.tooManyCrashes()) {
        this.state = "failed";
        this.onGiveUp(
          this,
          `${name} ${reason} ${this.recentCrashes.length} times within ${this.policy.restartWindowMs} ms`,
        );
        return;
      }
      attempt += 1;
      this.restarts += 1;
      const delayMs = backoffDelay(attempt, this.policy.backoff);
      this.state = "backoff";
      this.log.warn("task restarting", { task: name, delayMs, restarts: this.restarts });
      await sleep(delayMs, this.stopping.signal);
    }
    this.state = "stopped";
    this.log.info("task stopped", { task: name });
  }

  private async runOnce(): Promise<{ ok: true } | { ok: false; error: unknown }> {
    try {
      this.current = this.spec.run(this.context(this.controller.signal));
      await this.current;
      return { ok: true };
    } catch (error) {
      return { ok: false, error };
    } finally {
      this.current = undefined;
    }
  }

  private tooManyCrashes(): boolean {
    const now = Date.now();
    this.recentCrashes.push(now);
    while (this.recentCrashes.length && (this.recentCrashes[0] ?? now) < now - this.policy.restartWindowMs) {
      this.recentCrashes.shift();
    }
    return this.recentCrashes.length > this.policy.maxRestarts;
  }
}
