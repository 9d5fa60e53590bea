import { droppedLogLines } from "@tradewire/logger";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { SupervisedTask } from "./task.js";

/** The supervisor's own metrics; services register theirs on the same registry. */
export function createSupervisorMetrics(
  service: string,
  tasks: () => readonly SupervisedTask[],
  healthy: () => boolean,
): { registry: Registry; loopBlocked: Counter } {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  new Counter({
    name: "tradewire_task_restarts_total",
    help: "Task restarts after a crash, an unexpected exit or a stall",
    labelNames: ["task"],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of tasks()) this.inc({ task: t.spec.name }, t.restarts);
    },
  });
  new Gauge({
    name: "tradewire_task_last_progress_age_seconds",
    help: "Seconds since the task last reported progress",
    labelNames: ["task"],
    registers: [registry],
    collect() {
      for (const t of tasks()) this.set({ task: t.spec.name }, t.snapshot().lastProgressAgeMs / 1000);
    },
  });
  new Gauge({
    name: "tradewire_task_up",
    help: "1 when the task is running",
    labelNames: ["task"],
    registers: [registry],
    collect() {
      for (const t of tasks()) this.set({ task: t.spec.name }, t.state === "running" ? 1 : 0);
    },
  });
  new Gauge({
    name: "tradewire_task_gauge",
    help: "Values tasks report (a consumer's pending and ack-pending messages, connected 1/0)",
    labelNames: ["task", "gauge"],
    registers: [registry],
    collect() {
      for (const t of tasks())
        for (const [gauge, value] of Object.entries(t.snapshot().gauges))
          this.set({ task: t.spec.name, gauge }, value);
    },
  });
  new Gauge({
    name: "tradewire_supervisor_healthy",
    help: "0 once the supervisor gave up on a task",
    registers: [registry],
    collect() {
      this.set(healthy() ? 1 : 0);
    },
  });
  new Counter({
    name: "tradewire_log_lines_dropped_total",
    help: "Log lines dropped because the log output (stdout) was not taking them or was gone",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(droppedLogLines());
    },
  });
  const loopBlocked = new Counter({
    name: "tradewire_event_loop_blocked_total",
    help: "Times the event loop was blocked past the supervisor's threshold (every task, timer and socket waited)",
    registers: [registry],
  });
  return { registry, loopBlocked };
}
