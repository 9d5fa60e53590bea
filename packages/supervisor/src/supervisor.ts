import { hostname } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Logger } from "@tradewire/logger";
import type { Counter, Registry } from "prom-client";
import { withTimeout } from "./backoff.js";
import { HttpServer, type RouteHandler, sendJson } from "./http.js";
import { createSupervisorMetrics } from "./metrics.js";
import { SupervisedTask, type TaskSnapshot, type TaskSpec } from "./task.js";

export interface Dependency {
  name: string;
  /** true when the dependency is usable right now (e.g. NATS connected). */
  isReady(): boolean | Promise<boolean>;
}

export interface ShutdownStep {
  name: string;
  run(): Promise<void>;
  timeoutMs?: number;
}

export interface SupervisorOptions {
  service: string;
  logger: Logger;
  /** 0 picks a free port (logged). */
  httpPort: number;
  httpHost?: string;
  /** Name of the variable that set the port, for error messages. */
  httpPortVariable?: string;
  heartbeatIntervalMs?: number;
  /** Per-step deadline for the ordered shutdown. */
  shutdownTimeoutMs?: number;
  maxRestarts?: number;
  restartWindowMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Installs SIGTERM/SIGINT and fatal-error handlers that stop and exit the process (default true). */
  handleSignals?: boolean;
  /** A stretch this long with the event loop blocked (F05) is logged at warn and counted (default 1000). */
  eventLoopBlockWarnMs?: number;
  /** A dependency's readiness check that has not answered within this is not ready (default 2000). */
  readyCheckTimeoutMs?: number;
  /**
   * How often the dependencies are checked with nobody asking /ready (default 5000), so one that
   * stops being ready is said within seconds where no probe polls (a laptop, a plain container).
   */
  readyWatchIntervalMs?: number;
  /**
   * A dependency not ready since the start is said at info for this long (the service starting: a
   * price feed's first quotes, a first connect), then at warn (default 15000). One that was ready
   * and stops being so is said at warn at once.
   */
  readyStartGraceMs?: number;
}

export interface ServiceHealth {
  healthy: boolean;
  ready: boolean;
  failure: string | undefined;
  tasks: TaskSnapshot[];
  dependencies: Record<string, boolean>;
  /** Why each dependency that is not ready is not: its check said so, threw, or did not answer. */
  unready: Record<string, string>;
  details: Record<string, unknown>;
}

/** The settings every service reads from `commonEnv` in @tradewire/config. */
export interface CommonServiceSettings {
  HTTP_PORT: number;
  HEARTBEAT_INTERVAL_S: number;
  SHUTDOWN_TIMEOUT_MS: number;
}

/**
 * Owns every long-lived task of a service: restarts crashes with backoff, detects stalls, logs a
 * heartbeat, serves /healthz /ready /metrics, and shuts down in order within bounds.
 */
export class Supervisor {
  readonly metrics: Registry;
  readonly log: Logger;
  readonly instance = hostname();
  private readonly tasks: SupervisedTask[] = [];
  private readonly dependencies: Dependency[] = [];
  /** Dependencies not ready at the last check, with why: a change is logged, not every probe. */
  private unready = new Map<string, string>();
  /** Dependencies found ready at least once: their going unready is a change, not a start. */
  private readonly everReady = new Set<string>();
  /** Dependencies said at warn as not ready since the start (past readyStartGraceMs). */
  private readonly lateSaid = new Set<string>();
  private startedAt = 0;
  /** A check still running (one that hangs is not started again at every probe). */
  private readonly checking = new Map<string, Promise<boolean>>();
  private readonly shutdownSteps: ShutdownStep[] = [];
  private readonly details: Record<string, () => unknown> = {};
  private readonly http: HttpServer;
  private failure: string | undefined;
  private timers: NodeJS.Timeout[] = [];
  private checkingAll: Promise<Map<string, string>> | undefined;
  /** The longest the event loop kept a timer waiting since the last watchdog round. */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 20 });
  private readonly loopBlocked: Counter;
  private stopping: Promise<void> | undefined;
  private port = 0;
  private readonly opts: Required<SupervisorOptions>;

  constructor(options: SupervisorOptions) {
    this.opts = {
      httpHost: "0.0.0.0",
      httpPortVariable: "HTTP_PORT",
      heartbeatIntervalMs: 30_000,
      shutdownTimeoutMs: 10_000,
      maxRestarts: 5,
      restartWindowMs: 60_000,
      backoffInitialMs: 200,
      backoffMaxMs: 10_000,
      handleSignals: true,
      eventLoopBlockWarnMs: 1_000,
      readyCheckTimeoutMs: 2_000,
      readyWatchIntervalMs: 5_000,
      readyStartGraceMs: 15_000,
      ...options,
    };
    this.log = options.logger.child({ component: "supervisor" });
    const metrics = createSupervisorMetrics(
      options.service,
      () => this.tasks,
      () => this.failure === undefined,
    );
    this.metrics = metrics.registry;
    this.loopBlocked = metrics.loopBlocked;
    this.http = new HttpServer((error, path) => this.log.error("http handler failed", { path, err: error }));
    this.http.route("GET", "/healthz", (_req, res) => {
      const h = this.health();
      sendJson(res, h.healthy ? 200 : 503, { status: h.healthy ? "ok" : "failed", failure: h.failure });
    });
    this.http.route("GET", "/ready", async (_req, res) => {
      const h = await this.readiness();
      sendJson(res, h.ready ? 200 : 503, h);
    });
    this.http.route("GET", "/metrics", async (_req, res) => {
      const text = await this.metrics.metrics();
      res.writeHead(200, { "content-type": this.metrics.contentType });
      res.end(text);
    });
  }

  /** A supervisor configured from a service's common settings. */
  static forService(
    service: string,
    logger: Logger,
    settings: CommonServiceSettings,
    opts: { handleSignals?: boolean } = {},
  ): Supervisor {
    return new Supervisor({
      service,
      logger,
      httpPort: settings.HTTP_PORT,
      heartbeatIntervalMs: settings.HEARTBEAT_INTERVAL_S * 1000,
      shutdownTimeoutMs: settings.SHUTDOWN_TIMEOUT_MS,
      handleSignals: opts.handleSignals ?? true,
    });
  }

  get httpPort(): number {
    return this.port;
  }

  addTask(spec: TaskSpec): void {
    const task = new SupervisedTask(
      spec,
      {
        backoff: { initialMs: this.opts.backoffInitialMs, maxMs: this.opts.backoffMaxMs },
        maxRestarts: this.opts.maxRestarts,
        restartWindowMs: this.opts.restartWindowMs,
        stopTimeoutMs: this.opts.shutdownTimeoutMs,
      },
      this.opts.logger,
      (t, reason) => this.giveUp(t, reason),
    );
    this.tasks.push(task);
    if (this.timers.length) task.start();
  }

  addDependency(dependency: Dependency): void {
    this.dependencies.push(dependency);
  }

  /** Extra fields for the /ready body (e.g. the trading mode, stated loudly). */
  addDetail(name: string, value: () => unknown): void {
    this.details[name] = value;
  }

  /** Shutdown steps run in registration order after every task has stopped. */
  onShutdown(step: ShutdownStep): void {
    this.shutdownSteps.push(step);
  }

  route(method: string, path: string, handler: RouteHandler): void {
    this.http.route(method, path, handler);
  }

  async start(): Promise<void> {
    this.startedAt = Date.now();
    this.port = await this.http.listen(this.opts.httpPort, this.opts.httpHost, this.opts.httpPortVariable);
    this.log.info("http listening", { port: this.port, endpoints: ["/healthz", "/ready", "/metrics"] });
    if (this.opts.handleSignals) this.installProcessHandlers();
    this.timers.push(setInterval(() => this.heartbeat(), this.opts.heartbeatIntervalMs).unref());
    this.loopDelay.enable();
    this.timers.push(
      setInterval(() => this.watchdog(), Math.min(1000, this.opts.heartbeatIntervalMs)).unref(),
    );
    this.timers.push(setInterval(() => this.watchReadiness(), this.opts.readyWatchIntervalMs).unref());
    for (const task of this.tasks) task.start();
    // A first round now: what is ready at the start is known, so its going unready is a change.
    this.watchReadiness();
    this.log.info("service started", {
      service: this.opts.service,
      tasks: this.tasks.map((t) => t.spec.name),
    });
  }

  health(): { healthy: boolean; failure: string | undefined } {
    return { healthy: this.failure === undefined, failure: this.failure };
  }

  async readiness(): Promise<ServiceHealth> {
    const unready = await this.checkDependencies();
    const dependencies = Object.fromEntries(this.dependencies.map((d) => [d.name, !unready.has(d.name)]));
    const tasks = this.tasks.map((t) => t.snapshot());
    const details = Object.fromEntries(Object.entries(this.details).map(([k, fn]) => [k, fn()]));
    const ready =
      this.failure === undefined &&
      this.stopping === undefined &&
      tasks.every((t) => !t.required || t.state === "running" || t.state === "stopped") &&
      Object.values(dependencies).every(Boolean);
    return {
      healthy: this.failure === undefined,
      ready,
      failure: this.failure,
      tasks,
      dependencies,
      unready: Object.fromEntries(unready),
      details,
    };
  }

  /** The dependency's check, or the one of it still running. */
  private check(dep: Dependency): Promise<boolean> {
    const running = this.checking.get(dep.name);
    if (running !== undefined) return running;
    const started = (async () => dep.isReady())().finally(() => this.checking.delete(dep.name));
    this.checking.set(dep.name, started);
    return started;
  }

  /** A round of checks with nobody asking: what changed is said (see checkDependencies). */
  private watchReadiness(): void {
    this.checkDependencies().catch((error: unknown) =>
      this.log.error("readiness watch failed", { err: error }),
    );
  }

  /** The round of checks under way, shared by /ready and the watch, so a change is said once. */
  private checkDependencies(): Promise<Map<string, string>> {
    this.checkingAll ??= this.checkAll().finally(() => {
      this.checkingAll = undefined;
    });
    return this.checkingAll;
  }

  /**
   * Every dependency's check at once, each bounded by readyCheckTimeoutMs, so one that hangs (a
   * database that stopped answering) cannot hold /ready or the others (F03). Returns why each
   * unready one is; a change from the last check is logged.
   */
  private async checkAll(): Promise<Map<string, string>> {
    const ms = this.opts.readyCheckTimeoutMs;
    const results = await Promise.all(
      this.dependencies.map(async (dep): Promise<[string, string | undefined]> => {
        try {
          const ok = await withTimeout(this.check(dep), ms, `readiness check of ${dep.name}`);
          return [dep.name, ok ? undefined : "not ready"];
        } catch (error) {
          return [dep.name, error instanceof Error ? error.message : String(error)];
        }
      }),
    );
    const unready = new Map(results.filter((r): r is [string, string] => r[1] !== undefined));
    for (const [name, reason] of unready) this.sayUnready(name, reason);
    for (const [name] of results) {
      if (unready.has(name)) continue;
      if (this.unready.has(name))
        this.log.info(this.everReady.has(name) ? "dependency ready again" : "dependency ready", {
          dependency: name,
        });
      this.everReady.add(name);
    }
    this.unready = unready;
    return unready;
  }

  /**
   * A dependency found not ready, said once per reason: at warn if it was ready before; if it never
   * was, at info while the service starts and at warn once readyStartGraceMs has gone by.
   */
  private sayUnready(name: string, reason: string): void {
    const changed = this.unready.get(name) !== reason;
    if (this.everReady.has(name)) {
      if (changed) this.log.warn("dependency not ready", { dependency: name, reason });
      return;
    }
    const sinceStartMs = Date.now() - this.startedAt;
    if (sinceStartMs < this.opts.readyStartGraceMs) {
      if (changed) this.log.info("dependency not ready yet", { dependency: name, reason });
    } else if (changed || !this.lateSaid.has(name)) {
      this.lateSaid.add(name);
      this.log.warn("dependency not ready since the start", { dependency: name, reason, sinceStartMs });
    }
  }

  /** Ordered, bounded shutdown: stop every task, then run the shutdown steps, then close HTTP. */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async shutdown(reason: string): Promise<void> {
    const started = Date.now();
    this.log.info("shutdown started", { reason });
    for (const timer of this.timers) clearInterval(timer);
    this.loopDelay.disable();
    const stopped = await Promise.all(this.tasks.map((t) => t.stop()));
    let clean = stopped.every(Boolean);
    for (const step of this.shutdownSteps) {
      const stepStarted = Date.now();
      try {
        await withTimeout(
          step.run(),
          step.timeoutMs ?? this.opts.shutdownTimeoutMs,
          `shutdown step ${step.name}`,
        );
        this.log.info("shutdown step done", { step: step.name, ms: Date.now() - stepStarted });
      } catch (error) {
        clean = false;
        this.log.error("shutdown step failed", { step: step.name, err: error });
      }
    }
    await this.http.close();
    this.log.info("shutdown complete", { reason, clean, ms: Date.now() - started });
    if (!clean) this.failure ??= "unclean shutdown";
  }

  private giveUp(task: SupervisedTask, reason: string): void {
    this.failure ??= reason;
    this.log.error("task gave up; service unhealthy", { task: task.spec.name, reason });
  }

  private heartbeat(): void {
    for (const task of this.tasks) {
      const s = task.snapshot();
      this.log.info("task heartbeat", {
        task: s.name,
        state: s.state,
        restarts: s.restarts,
        lastProgressAgeMs: s.lastProgressAgeMs,
        ...(s.pausedBy === undefined ? {} : { pausedBy: s.pausedBy }),
        ...s.counters,
        ...s.gauges,
        sinceLastBeat: task.sinceLastBeat(),
      });
    }
  }

  private watchdog(): void {
    const now = Date.now();
    for (const task of this.tasks) task.checkStall(now);
    // A synchronous call that blocks the loop (F05) delays this round too: said once it lets go. One
    // that never lets go silences every log line; the liveness probe on /healthz catches that.
    const blockedMs = Math.round(this.loopDelay.max / 1e6);
    this.loopDelay.reset();
    if (blockedMs < this.opts.eventLoopBlockWarnMs) return;
    this.loopBlocked.inc();
    this.log.warn("event loop blocked: every task, timer and socket waited", {
      blockedMs,
      thresholdMs: this.opts.eventLoopBlockWarnMs,
    });
  }

  private installProcessHandlers(): void {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        this.log.error("second signal: exiting now", { signal });
        process.exit(130);
      }
      this.stop(signal).then(
        () => process.exit(this.failure === undefined ? 0 : 1),
        (error: unknown) => {
          this.log.error("shutdown failed", { err: error });
          process.exit(1);
        },
      );
    };
    const onFatal = (kind: string) => (error: unknown) => {
      this.log.error("fatal error", { kind, fatal: true, err: error });
      this.failure ??= `${kind}: ${error instanceof Error ? error.message : String(error)}`;
      this.stop(kind).then(
        () => process.exit(1),
        () => process.exit(1),
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    process.on("unhandledRejection", onFatal("unhandledRejection"));
    process.on("uncaughtException", onFatal("uncaughtException"));
  }
}
